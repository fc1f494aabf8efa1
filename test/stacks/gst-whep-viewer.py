#!/usr/bin/python3
"""A WHEP viewer built on GStreamer's webrtcbin (Debian 1.22, python3-gi), a WebRTC stack we
did not write. It offers audio (Opus) and video (H.264 Constrained Baseline, mode 1), both
recvonly and bundled, waits for ICE gathering (non-trickle, as the box wants), POSTs the
offer, applies the answer, decodes the video and prints one JSON line:
  {"status": 201, "frames": N, "width": W, "height": H, "decoder": "avdec_h264", "error": null}

Usage: gst-whep-viewer.py URL TOKEN [--seconds S] [--decoder avdec_h264|openh264dec]
"""
import json
import sys

import gi

from whep_post import post_offer

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

args = sys.argv[1:]
URL, TOKEN = args[0], args[1]
SECONDS = float(args[args.index("--seconds") + 1]) if "--seconds" in args else 8.0
DECODER = args[args.index("--decoder") + 1] if "--decoder" in args else "avdec_h264"

Gst.init(None)
loop = GLib.MainLoop()
result = {"status": None, "frames": 0, "width": 0, "height": 0, "decoder": DECODER, "error": None}
pipe = Gst.Pipeline.new("viewer")
webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
pipe.add(webrtc)
for caps in (
    "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000",
    "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
    "packetization-mode=(string)1,profile-level-id=(string)42e01f",
):
    webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY, Gst.Caps.from_string(caps))


def finish(error=None):
    if error and not result["error"]:
        result["error"] = error
    print(json.dumps(result), flush=True)
    loop.quit()
    return False


def on_frame(sink):
    sample = sink.emit("pull-sample")
    s = sample.get_caps().get_structure(0)
    result["frames"] += 1
    result["width"], result["height"] = s.get_value("width"), s.get_value("height")
    return Gst.FlowReturn.OK


def on_pad(_element, pad):
    if pad.get_direction() != Gst.PadDirection.SRC:
        return
    media = pad.get_current_caps().get_structure(0).get_string("media")
    if media != "video":
        sink = Gst.ElementFactory.make("fakesink")
        pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        return
    chain = Gst.parse_bin_from_description(
        f"rtph264depay ! h264parse ! {DECODER} ! videoconvert ! appsink name=frames emit-signals=true sync=false", True)
    pipe.add(chain)
    chain.get_by_name("frames").connect("new-sample", on_frame)
    chain.sync_state_with_parent()
    pad.link(chain.get_static_pad("sink"))


def send_offer():
    result["status"], answer = post_offer(URL, TOKEN, webrtc.get_property("local-description").sdp.as_text())
    if answer is None:
        return finish()
    ok, sdp = GstSdp.SDPMessage.new_from_text(answer)
    if ok != GstSdp.SDPResult.OK:
        return finish("answer does not parse as SDP")
    webrtc.emit("set-remote-description", GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp), None)
    GLib.timeout_add(int(SECONDS * 1000), finish)
    return False


def on_gathering(element, _spec):
    if element.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
        GLib.idle_add(send_offer)


def on_offer(promise, _data):
    reply = promise.get_reply()
    offer = reply.get_value("offer")
    webrtc.emit("set-local-description", offer, None)


def on_bus(_bus, message):
    if message.type == Gst.MessageType.ERROR:
        err, _debug = message.parse_error()
        finish(f"GStreamer: {err.message}")


webrtc.connect("pad-added", on_pad)
webrtc.connect("notify::ice-gathering-state", on_gathering)
bus = pipe.get_bus()
bus.add_signal_watch()
bus.connect("message", on_bus)
pipe.set_state(Gst.State.PLAYING)
webrtc.emit("create-offer", None, Gst.Promise.new_with_change_func(on_offer, None))
GLib.timeout_add(int((SECONDS + 20) * 1000), lambda: finish("timed out before the answer was applied"))
loop.run()
pipe.set_state(Gst.State.NULL)
