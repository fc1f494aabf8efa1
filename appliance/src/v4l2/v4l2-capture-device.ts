/**
 * A V4L2 video-capture node (single-planar VIDEO_CAPTURE): capabilities, formats, frame
 * sizes and rates, inputs, DV timings, controls and events. Buffers live in
 * v4l2-buffer-queue.ts. Thin: every method is one or a few ioctls (videodev2.h), failures
 * are V4l2CallError with the errno.
 */
import { closeNode, cString, ExtraIoctl, int32Arg, ioctl, openNode, vd } from './v4l2-binding.js';
import { fourcc, fourccText } from './v4l2-fourcc.js';

export const BUF_TYPE_VIDEO_CAPTURE = vd.v4l2_buf_type.V4L2_BUF_TYPE_VIDEO_CAPTURE;

export interface DeviceCaps {
  driver: string;
  card: string;
  busInfo: string;
  /** device_caps when the driver reports them, else capabilities. */
  caps: number;
  /** A node we can capture from: VIDEO_CAPTURE + STREAMING, and not a memory-to-memory codec. */
  isCapture: boolean;
}

/** Pure: reads the capability bits the way videodev2.h says (device_caps when DEVICE_CAPS is set). */
export function describeCaps(capabilities: number, deviceCaps: number): { caps: number; isCapture: boolean } {
  const caps = (capabilities & vd.V4L2_CAP_DEVICE_CAPS) !== 0 ? deviceCaps : capabilities;
  const m2m = (caps & (vd.V4L2_CAP_VIDEO_M2M | vd.V4L2_CAP_VIDEO_M2M_MPLANE)) !== 0;
  const capture = (caps & vd.V4L2_CAP_VIDEO_CAPTURE) !== 0 && (caps & vd.V4L2_CAP_STREAMING) !== 0;
  return { caps, isCapture: capture && !m2m };
}

export interface FrameRate {
  numerator: number;
  denominator: number;
}

/** One offered mode: a pixel format at a discrete size with the rates it allows. */
export interface ModeOffer {
  pixfmt: string;
  width: number;
  height: number;
  /** Frames per second, from the discrete intervals (empty when the driver lists none). */
  fps: number[];
  /** Stepwise/continuous sizes: any size up to width x height is accepted (S_FMT may round). */
  anySize?: boolean;
}

export interface InputInfo {
  index: number;
  name: string;
  /** The input carries digital video timings (HDMI, DVI): query them before streaming. */
  hasDvTimings: boolean;
}

export interface DvTimings {
  width: number;
  height: number;
  /** Frames per second from the pixel clock and total frame size; 0 when unknown. */
  fps: number;
}

export interface ActiveFormat {
  pixfmt: string;
  width: number;
  height: number;
  bytesperline: number;
  sizeimage: number;
}

/** CaptureDevice is one open capture node. Open with CaptureDevice.open(path); close() once. */
export class CaptureDevice {
  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  static open(path: string): CaptureDevice {
    return new CaptureDevice(path, openNode(path));
  }

  close(): void {
    closeNode(this.fd);
  }

  private call(name: string, request: number, arg: Buffer): void {
    ioctl(this.fd, this.path, name, request, arg);
  }

  queryCaps(): DeviceCaps {
    const c = new vd.v4l2_capability();
    this.call('VIDIOC_QUERYCAP', vd.ioctl.VIDIOC_QUERYCAP, c.ref());
    const { caps, isCapture } = describeCaps(c.capabilities >>> 0, c.device_caps >>> 0);
    return { driver: cString(c.driver.buffer), card: cString(c.card.buffer), busInfo: cString(c.bus_info.buffer), caps, isCapture };
  }

  /** Pixel formats offered on the capture queue, as FourCC text ('YUYV', 'MJPG', …). */
  enumFormats(): string[] {
    const out: string[] = [];
    for (let index = 0; index < 64; index++) {
      const d = new vd.v4l2_fmtdesc();
      d.index = index;
      d.type = BUF_TYPE_VIDEO_CAPTURE;
      try {
        this.call('VIDIOC_ENUM_FMT', vd.ioctl.VIDIOC_ENUM_FMT, d.ref());
      } catch {
        break; // EINVAL ends the list
      }
      out.push(fourccText(d.pixelformat >>> 0));
    }
    return out;
  }

  /**
   * Every discrete size and rate offered per format. Stepwise/continuous sizes (vivid's
   * packed formats) become one entry at the maximum with anySize set.
   */
  enumModes(): ModeOffer[] {
    const modes: ModeOffer[] = [];
    for (const pixfmt of this.enumFormats()) {
      for (let index = 0; index < 256; index++) {
        const s = new vd.v4l2_frmsizeenum();
        s.index = index;
        s.pixel_format = fourcc(pixfmt);
        try {
          this.call('VIDIOC_ENUM_FRAMESIZES', vd.ioctl.VIDIOC_ENUM_FRAMESIZES, s.ref());
        } catch {
          break;
        }
        const discrete = s.type === vd.v4l2_frmsizetypes.V4L2_FRMSIZE_TYPE_DISCRETE;
        const width = discrete ? s.union.discrete.width : s.union.stepwise.max_width;
        const height = discrete ? s.union.discrete.height : s.union.stepwise.max_height;
        modes.push({ pixfmt, width, height, fps: this.enumRates(pixfmt, width, height), ...(discrete ? {} : { anySize: true }) });
        if (!discrete) break;
      }
    }
    return modes;
  }

  private enumRates(pixfmt: string, width: number, height: number): number[] {
    const rates: number[] = [];
    for (let index = 0; index < 64; index++) {
      const i = new vd.v4l2_frmivalenum();
      i.index = index;
      i.pixel_format = fourcc(pixfmt);
      i.width = width;
      i.height = height;
      try {
        this.call('VIDIOC_ENUM_FRAMEINTERVALS', vd.ioctl.VIDIOC_ENUM_FRAMEINTERVALS, i.ref());
      } catch {
        break;
      }
      if (i.type !== vd.v4l2_frmivaltypes.V4L2_FRMIVAL_TYPE_DISCRETE) break;
      const { numerator, denominator } = i.union.discrete;
      if (numerator > 0) rates.push(denominator / numerator);
    }
    return rates;
  }

  /** S_FMT on the capture queue; the driver may adjust, so the applied format is returned. */
  setFormat(pixfmt: string, width: number, height: number): ActiveFormat {
    const f = new vd.v4l2_format();
    f.type = BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.width = width;
    f.fmt.pix.height = height;
    f.fmt.pix.pixelformat = fourcc(pixfmt);
    f.fmt.pix.field = vd.v4l2_field.V4L2_FIELD_NONE; // progressive
    this.call('VIDIOC_S_FMT', vd.ioctl.VIDIOC_S_FMT, f.ref());
    return readFormat(f);
  }

  getFormat(): ActiveFormat {
    const f = new vd.v4l2_format();
    f.type = BUF_TYPE_VIDEO_CAPTURE;
    this.call('VIDIOC_G_FMT', vd.ioctl.VIDIOC_G_FMT, f.ref());
    return readFormat(f);
  }

  /** Asks for a frame rate; returns what the driver applied (it may round), or undefined if it has no rate control. */
  setFps(fps: number): number | undefined {
    const p = new vd.v4l2_streamparm();
    p.type = BUF_TYPE_VIDEO_CAPTURE;
    p.parm.capture.timeperframe.numerator = 1000;
    p.parm.capture.timeperframe.denominator = Math.round(fps * 1000);
    try {
      this.call('VIDIOC_S_PARM', vd.ioctl.VIDIOC_S_PARM, p.ref());
    } catch {
      return undefined;
    }
    const t = p.parm.capture.timeperframe;
    return t.numerator > 0 ? t.denominator / t.numerator : undefined;
  }

  enumInputs(): InputInfo[] {
    const out: InputInfo[] = [];
    for (let index = 0; index < 32; index++) {
      const i = new vd.v4l2_input();
      i.index = index;
      try {
        this.call('VIDIOC_ENUMINPUT', vd.ioctl.VIDIOC_ENUMINPUT, i.ref());
      } catch {
        break;
      }
      out.push({ index, name: cString(i.name.buffer), hasDvTimings: (i.capabilities & vd.V4L2_IN_CAP_DV_TIMINGS) !== 0 });
    }
    return out;
  }

  getInput(): number {
    const v = int32Arg(0);
    this.call('VIDIOC_G_INPUT', vd.ioctl.VIDIOC_G_INPUT, v);
    return v.readInt32LE(0);
  }

  setInput(index: number): void {
    const v = int32Arg(index);
    this.call('VIDIOC_S_INPUT', vd.ioctl.VIDIOC_S_INPUT, v);
  }

  /**
   * VIDIOC_QUERY_DV_TIMINGS: what the receiver sees on the wire. Throws V4l2CallError with
   * ENOLINK / ENOLCK / ERANGE for no signal / no sync / out of range (dvConditionFromErrno).
   */
  queryDvTimings(): DvTimings {
    const t = new vd.v4l2_dv_timings();
    this.call('VIDIOC_QUERY_DV_TIMINGS', ExtraIoctl.VIDIOC_QUERY_DV_TIMINGS, t.ref());
    return readDvTimings(t);
  }

  /** Applies timings found by queryDvTimings, as a receiver must before S_FMT (videodev2 DV docs). */
  setDvTimings(): DvTimings {
    const t = new vd.v4l2_dv_timings();
    this.call('VIDIOC_QUERY_DV_TIMINGS', ExtraIoctl.VIDIOC_QUERY_DV_TIMINGS, t.ref());
    this.call('VIDIOC_S_DV_TIMINGS', ExtraIoctl.VIDIOC_S_DV_TIMINGS, t.ref());
    return readDvTimings(t);
  }

  /** Finds a control by its name as the driver spells it (e.g. vivid's "DV Timings Signal Mode"). */
  findControl(name: string): { id: number; min: number; max: number } | undefined {
    const q = new vd.v4l2_queryctrl();
    q.id = vd.V4L2_CTRL_FLAG_NEXT_CTRL;
    for (let n = 0; n < 1024; n++) {
      try {
        this.call('VIDIOC_QUERYCTRL', vd.ioctl.VIDIOC_QUERYCTRL, q.ref());
      } catch {
        return undefined;
      }
      if ((q.flags & vd.V4L2_CTRL_FLAG_DISABLED) === 0 && cString(q.name.buffer).toLowerCase() === name.toLowerCase()) {
        return { id: q.id >>> 0, min: q.minimum, max: q.maximum };
      }
      q.id = (q.id | vd.V4L2_CTRL_FLAG_NEXT_CTRL) >>> 0;
    }
    return undefined;
  }

  /** VIDIOC_S_CTRL with the raw value (libv4l2's v4l2_set_control rescales to 0..65535; this does not). */
  setControl(id: number, value: number): void {
    const c = new vd.v4l2_control();
    c.id = id;
    c.value = value;
    this.call('VIDIOC_S_CTRL', vd.ioctl.VIDIOC_S_CTRL, c.ref());
  }

  getControl(id: number): number {
    const c = new vd.v4l2_control();
    c.id = id;
    this.call('VIDIOC_G_CTRL', vd.ioctl.VIDIOC_G_CTRL, c.ref());
    return c.value;
  }

  /** Subscribes to V4L2_EVENT_SOURCE_CHANGE (resolution or signal changed); false if unsupported. */
  subscribeSourceChange(): boolean {
    const s = new vd.v4l2_event_subscription();
    s.type = vd.V4L2_EVENT_SOURCE_CHANGE;
    s.id = 0;
    try {
      this.call('VIDIOC_SUBSCRIBE_EVENT', ExtraIoctl.VIDIOC_SUBSCRIBE_EVENT, s.ref());
      return true;
    } catch {
      return false;
    }
  }

  /** Drains pending events; returns true if any source-change event was among them. */
  takeSourceChange(): boolean {
    let changed = false;
    for (let n = 0; n < 16; n++) {
      const e = new vd.v4l2_event();
      try {
        this.call('VIDIOC_DQEVENT', ExtraIoctl.VIDIOC_DQEVENT, e.ref());
      } catch {
        break; // ENOENT: no more events
      }
      if (e.type === vd.V4L2_EVENT_SOURCE_CHANGE) changed = true;
    }
    return changed;
  }
}

function readFormat(f: InstanceType<typeof vd.v4l2_format>): ActiveFormat {
  const p = f.fmt.pix;
  return { pixfmt: fourccText(p.pixelformat >>> 0), width: p.width, height: p.height, bytesperline: p.bytesperline, sizeimage: p.sizeimage };
}

function readDvTimings(t: InstanceType<typeof vd.v4l2_dv_timings>): DvTimings {
  const bt = t.union.bt;
  const totalW = bt.width + bt.hfrontporch + bt.hsync + bt.hbackporch;
  const totalH = bt.height + bt.vfrontporch + bt.vsync + bt.vbackporch;
  const clock = Number(bt.pixelclock);
  const fps = totalW > 0 && totalH > 0 ? Math.round((clock / (totalW * totalH)) * 100) / 100 : 0;
  return { width: bt.width, height: bt.height, fps };
}
