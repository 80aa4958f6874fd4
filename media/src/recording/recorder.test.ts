import { sdpFor } from "./recorder";

describe("sdpFor", () => {
  it("describes one consumer's stream for ffmpeg (rtcp-mux, receive only)", () => {
    const sdp = sdpFor("audio", 40000, { mimeType: "audio/opus", payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } });
    expect(sdp).toContain("m=audio 40000 RTP/AVP 100\r\n");
    expect(sdp).toContain("a=rtpmap:100 opus/48000/2\r\n");
    expect(sdp).toContain("a=fmtp:100 useinbandfec=1\r\n");
    expect(sdp).toContain("a=rtcp-mux\r\n");
    const video = sdpFor("video", 40002, { mimeType: "video/VP8", payloadType: 101, clockRate: 90000, parameters: { "x-google-start-bitrate": 1000 } });
    expect(video).toContain("a=rtpmap:101 VP8/90000\r\n");
    expect(video).not.toContain("x-google");
  });
});
