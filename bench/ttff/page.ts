// Page-side instruments of the ttff bench, shared by the SDK runs and the bare baseline (strings: functions
// compiled by tsx would carry helpers the page does not have).
//  - every RTCPeerConnection records when its ICE connected and when it connected (ICE + DTLS);
//  - __firstFrame(track, getStats) renders a remote video track and resolves with when its first RTP packet,
//    first complete frame (the key frame: a simulcast consumer forwards nothing before one) and first decoded
//    frame arrived, polling WebRTC statistics every 10 ms.
export const PAGE_INSTRUMENTS = `
(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      const rec = { pc: this, created: performance.now() };
      window.__pcs.push(rec);
      this.addEventListener("iceconnectionstatechange", () => {
        const s = this.iceConnectionState;
        if ((s === "connected" || s === "completed") && rec.ice === undefined) rec.ice = performance.now();
      });
      this.addEventListener("connectionstatechange", () => {
        if (this.connectionState === "connected" && rec.dtls === undefined) rec.dtls = performance.now();
      });
    }
  };
  /** ICE / DTLS marks of the peer connection receiving the track. */
  window.__pcMarks = (track) => {
    const rec = window.__pcs.find((r) => r.pc.getReceivers().some((x) => x.track === track));
    return rec ? { iceConnected: rec.ice, dtlsConnected: rec.dtls } : {};
  };
  window.__firstFrame = (track, getStats, timeoutMs = 15000) =>
    new Promise((resolve, reject) => {
      const marks = {};
      const v = document.createElement("video");
      v.muted = true; v.autoplay = true; v.playsInline = true;
      v.srcObject = new MediaStream([track]);
      document.body.append(v);
      let done = false;
      const timer = setTimeout(() => { done = true; reject(new Error("no frame within " + timeoutMs + " ms")); }, timeoutMs);
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        marks.decoded ??= performance.now();
        marks.decodedAt = Date.now();
        marks.keyFrame ??= marks.decoded;
        marks.firstRtp ??= marks.keyFrame;
        resolve(marks);
      };
      v.requestVideoFrameCallback?.(() => { marks.decoded ??= performance.now(); finish(); });
      v.play().catch(() => undefined);
      const poll = async () => {
        if (done) return;
        const stats = await getStats().catch(() => undefined);
        const now = performance.now();
        stats?.forEach((s) => {
          if (s.type !== "inbound-rtp" || s.trackIdentifier !== track.id) return;
          if (s.packetsReceived > 0) marks.firstRtp ??= now;
          if (s.framesReceived > 0) marks.keyFrame ??= now;
          if (s.framesDecoded > 0) { marks.decoded ??= now; finish(); }
        });
        setTimeout(poll, 10);
      };
      void poll();
    });
})();
`;
