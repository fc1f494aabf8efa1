/**
 * Stops werift from asking Google's STUN server about every viewer.
 *
 * Why: werift 0.25's ICE Connection falls back to `stun.l.google.com:19302` whenever no STUN
 * server is configured (node_modules/werift/lib/ice/src/ice.js: DEFAULT_STUN_SERVER,
 * applyStunTurnServersFromOptions `validateAddress(stunServer) ?? DEFAULT_STUN_SERVER`),
 * so `iceServers: []` is not enough. Each answer then resolves that name and sends a
 * binding request to it: a third party learns when the clinic's box serves a viewer, and
 * on a clinic network whose DNS does not answer, gathering waits out werift's 5 s STUN
 * time-out (measured in a network namespace: answer 5.3 s after the offer, 0.1 s without).
 * The box's candidates are its own addresses; a server-reflexive one would be of no use
 * to a phone on the same network.
 *
 * Call after setRemoteDescription (which creates the ICE connections) and before
 * setLocalDescription (which gathers).
 */
import type { RTCPeerConnection } from 'werift';

interface WeriftIceConnection {
  stunServer?: readonly [string, number] | undefined;
  readonly localCandidatesStart?: boolean;
}

export function disableDefaultStun(pc: RTCPeerConnection): void {
  for (const transport of pc.iceTransports) {
    const connection = transport.connection as unknown as WeriftIceConnection;
    if (!('stunServer' in connection)) throw new Error('werift ICE connection has no stunServer field; no-default-stun.ts needs updating for this werift version');
    if (connection.localCandidatesStart) throw new Error('disableDefaultStun() called after ICE gathering started');
    connection.stunServer = undefined;
  }
}
