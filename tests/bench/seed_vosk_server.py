"""The seed's architecture, for the side-by-side bench (`make bench`): each call's audio leaves
Asterisk over a WebSocket (chan_websocket, one connection per call, slin16 in 20 ms binary
frames) to this separate Vosk server process, built the way vosk-server's asr_server.py is (an
asyncio websockets server, recognition in a thread pool), with MiniBot's VAD settings: WebRTC
VAD "aggressive" (mode 2) on 20 ms frames, speech confirmed after 200 ms voiced, the turn ended
after 300 ms unvoiced, 300 ms of pre-roll, partial results every 200 ms of audio fed.

One JSON line per turn to --out: {"call", "speech_ms", "final_ms"} where final_ms runs from the
end of the turn (hangover elapsed) in the call's own time to Vosk's final result. The call's time
comes from the stream: Asterisk sends audio in real time, so frame k was sent at t0 + k x 20 ms,
t0 being the earliest start the arrivals imply. A server that falls behind reads its socket
late; measuring from when it got to the frame would hide that backlog. Stops on SIGTERM.
"""

import argparse
import asyncio
import concurrent.futures
import json
import os
import signal
import time

import webrtcvad
import websockets
from vosk import KaldiRecognizer, Model, SetLogLevel

RATE = 16000
FRAME_BYTES = RATE // 50 * 2  # 20 ms of slin16
ONSET_MS, HANGOVER_MS, PREROLL_MS, PARTIAL_MS = 200, 300, 300, 200


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    SetLogLevel(-1)
    model = Model(args.model)
    pool = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1)
    out = open(args.out, "a", buffering=1)

    async def handler(ws):
        loop = asyncio.get_running_loop()
        rec = KaldiRecognizer(model, RATE)
        vad = webrtcvad.Vad(2)
        call = "?"
        pending = b""
        history = []  # frames before the onset (pre-roll + onset)
        in_speech, voiced_run, silent_run, speech_ms, fed_since_partial = False, 0, 0, 0, 0
        t0, received, frames = None, 0, 0
        try:
            async for message in ws:
                if isinstance(message, str):
                    if message.startswith("MEDIA_START"):
                        fields = dict(f.split(":", 1) for f in message.split()[1:] if ":" in f)
                        call = fields.get("channel_id", "?")
                    continue
                received += len(message)
                implied = time.monotonic() - received / (2 * RATE)
                t0 = implied if t0 is None else min(t0, implied)
                pending += message
                while len(pending) >= FRAME_BYTES:
                    frame, pending = pending[:FRAME_BYTES], pending[FRAME_BYTES:]
                    frames += 1
                    voiced = vad.is_speech(frame, RATE)
                    if not in_speech:
                        history.append(frame)
                        del history[: max(0, len(history) - (PREROLL_MS + ONSET_MS) // 20)]
                        voiced_run = voiced_run + 20 if voiced else 0
                        if voiced_run >= ONSET_MS:
                            in_speech, silent_run, speech_ms = True, 0, voiced_run
                            audio = b"".join(history)
                            history = []
                            await loop.run_in_executor(pool, rec.AcceptWaveform, audio)
                        continue
                    speech_ms += 20
                    silent_run = 0 if voiced else silent_run + 20
                    await loop.run_in_executor(pool, rec.AcceptWaveform, frame)
                    fed_since_partial += 20
                    if fed_since_partial >= PARTIAL_MS:
                        fed_since_partial = 0
                        await loop.run_in_executor(pool, rec.PartialResult)
                    if silent_run >= HANGOVER_MS:
                        ended = t0 + frames * 0.020  # when this frame was sent, in the call's time
                        await loop.run_in_executor(pool, rec.FinalResult)
                        final_ms = (time.monotonic() - ended) * 1000
                        out.write(json.dumps({"call": call, "speech_ms": speech_ms, "final_ms": round(final_ms, 1)}) + "\n")
                        in_speech, voiced_run, fed_since_partial = False, 0, 0
        except websockets.ConnectionClosed:
            pass

    async def serve():
        stop = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
        async with websockets.serve(handler, "127.0.0.1", args.port, max_size=None, compression=None):
            print("ready", flush=True)
            await stop

    asyncio.run(serve())


if __name__ == "__main__":
    main()
