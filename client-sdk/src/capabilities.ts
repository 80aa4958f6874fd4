// The RTP capabilities this client declares to the server for what it receives.
import type { types } from "mediasoup-client";

const isPlainNack = (fb: types.RtcpFeedback) => fb.type === "nack" && !fb.parameter;

/**
 * The device's capabilities with NACK on Opus. Chromium does not offer audio NACK in its SDP, so a lost audio
 * packet could only be concealed; libwebrtc does honour NACK on an Opus receive stream when the remote description
 * carries it, and the SFU keeps a retransmission buffer for it (media/src/room.ts: enableRtx) — the repair a weak
 * township line needs.
 */
export function receiveCapabilities(caps: types.RtpCapabilities): types.RtpCapabilities;
export function receiveCapabilities(caps: types.RtpCapabilities | undefined): types.RtpCapabilities | undefined;
export function receiveCapabilities(caps: types.RtpCapabilities | undefined): types.RtpCapabilities | undefined {
  if (!caps) return caps;
  return {
    ...caps,
    codecs: caps.codecs?.map((c) =>
      c.mimeType.toLowerCase() === "audio/opus" && !(c.rtcpFeedback ?? []).some(isPlainNack)
        ? { ...c, rtcpFeedback: [...(c.rtcpFeedback ?? []), { type: "nack", parameter: "" }] }
        : c,
    ),
  };
}
