#!/usr/bin/python3
"""A WHEP viewer built on aiortc (Debian python3-aiortc), a WebRTC stack we did not write.

It offers what most WHEP players offer: audio AND video, both recvonly, bundled, every
candidate in the offer (aiortc gathers before createOffer returns). It then decodes the
box's H.264 and prints one JSON line:
  {"status": 201, "frames": N, "width": W, "height": H, "audio": "inactive|sendonly|…", "error": null}

Usage: aiortc-viewer.py URL TOKEN [--seconds S] [--print-offer]
  URL      the box's WHEP endpoint, e.g. http://10.77.0.1:8080/whep
  --print-offer  print the offer SDP and exit (the fixture appliance/src/webrtc/test/fixtures/aiortc-1.4-audio-video-offer.sdp)
"""
import asyncio
import json
import sys
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from whep_post import post_offer


async def main(url, token, seconds, print_offer):
    # No STUN server: aiortc's default is Google's, and nothing here may leave the test's namespaces.
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("audio", direction="recvonly")
    pc.addTransceiver("video", direction="recvonly")
    result = {"status": None, "frames": 0, "width": 0, "height": 0, "audio": None, "error": None}
    done = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        if track.kind != "video":
            return

        async def read():
            try:
                while result["frames"] < 10_000:
                    frame = await track.recv()
                    result["frames"] += 1
                    result["width"], result["height"] = frame.width, frame.height
            except Exception:  # the track ends when the connection closes
                pass
            done.set()

        asyncio.ensure_future(read())

    await pc.setLocalDescription(await pc.createOffer())
    if print_offer:
        sys.stdout.write(pc.localDescription.sdp)
        await pc.close()
        return
    result["status"], answer = post_offer(url, token, pc.localDescription.sdp)
    if answer is None:
        print(json.dumps(result), flush=True)
        await pc.close()
        return
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    except Exception as e:  # what aiortc says about an answer it refuses
        result["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(result), flush=True)
        await pc.close()
        return
    audio = [t for t in pc.getTransceivers() if t.kind == "audio"]
    result["audio"] = audio[0].currentDirection if audio else None
    try:
        await asyncio.wait_for(done.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
    print(json.dumps(result), flush=True)
    await pc.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    seconds = float(args[args.index("--seconds") + 1]) if "--seconds" in args else 8.0
    asyncio.run(main(args[0], args[1], seconds, "--print-offer" in args))
