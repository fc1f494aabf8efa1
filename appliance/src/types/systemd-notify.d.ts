// The systemd-notify npm package ships no types; this is the part of its API we use.
declare module 'systemd-notify' {
  interface NotifyOptions {
    ready?: boolean;
    status?: string;
    pid?: number;
    booted?: boolean;
  }
  /** Spawns the systemd-notify binary with the matching flags. */
  export default function notify(options?: NotifyOptions): Promise<unknown>;
}
