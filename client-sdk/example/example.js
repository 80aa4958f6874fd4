// Example page for @yilian/client-sdk (served by the server under /sdk/). Plain JavaScript on purpose: it shows
// the SDK calls a hospital integrator writes.
import { createClient } from "./yilian-sdk.js";

const $ = (id) => document.getElementById(id);
const status = (text) => ($("status").textContent = text);
let room;

$("join").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const res = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: $("username").value, password: $("password").value }),
    });
    const body = await res.json();
    if (!res.ok) return status(body.detail ?? "登录失败");
    const client = createClient({ token: body.accessToken });
    room = await client.joinRoom($("room").value.trim());
    wire(room);
    if (room.permissions.camera) await room.publishCamera();
    if (room.permissions.microphone) await room.publishMicrophone();
    $("controls").hidden = false;
    status(`已加入（${room.role}）`);
    for (const m of await room.chatHistory()) showChat(m);
  } catch (e) {
    status(`${e.message}${e.code ? `（${e.code}）` : ""}`);
  }
});

function wire(room) {
  room.on("track", ({ track, peerId, source, consumerId }) => {
    if (track.kind === "audio") {
      const audio = new Audio();
      audio.srcObject = new MediaStream([track]);
      audio.id = `a-${consumerId}`;
      audio.play().catch(() => undefined);
      return document.body.append(audio);
    }
    const fig = document.createElement("figure");
    fig.id = `v-${consumerId}`;
    fig.dataset.peer = peerId;
    const video = Object.assign(document.createElement("video"), { autoplay: true, playsInline: true, muted: true });
    video.srcObject = new MediaStream([track]);
    const cap = document.createElement("figcaption");
    cap.textContent = `${room.peers.get(peerId)?.displayName ?? ""}${source === "screen" ? " · 屏幕共享" : ""}`;
    fig.append(video, cap);
    $("videos").append(fig);
  });
  room.on("trackEnded", ({ consumerId }) => document.getElementById(`v-${consumerId}`)?.remove() ?? document.getElementById(`a-${consumerId}`)?.remove());
  room.on("mute", ({ peerId, source, muted }) => status(`${room.peers.get(peerId)?.displayName ?? ""} ${muted ? "已静音" : "已取消静音"}（${source}）`));
  room.on("activeSpeaker", ({ peerId }) => {
    for (const f of document.querySelectorAll("figure")) f.classList.toggle("speaking", f.dataset.peer === peerId);
  });
  room.on("peerJoined", (p) => status(`${p.displayName} 加入了会诊`));
  room.on("peerLeft", (p) => status(`${p.displayName} 离开了会诊`));
  room.on("reconnecting", () => status("网络中断，正在重新连接…"));
  room.on("reconnected", () => status("已重新连接"));
  room.on("chat", showChat);
  room.on("error", (e) => status(e.message));
  room.on("closed", ({ reason }) => status(`会诊室已关闭（${reason}）`));
}

function showChat(m) {
  const li = document.createElement("li");
  li.textContent = `${new Date(m.sentAt).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai" })} ${m.senderName}：${m.text}`;
  $("chat").append(li);
}

$("mute").addEventListener("click", async () => {
  const muted = room.isMuted("microphone");
  await (muted ? room.unmute("microphone") : room.mute("microphone"));
  $("mute").textContent = muted ? "静音" : "取消静音";
});
$("camera").addEventListener("click", async () => {
  const muted = room.isMuted("camera");
  await (muted ? room.unmute("camera") : room.mute("camera"));
  $("camera").textContent = muted ? "关闭摄像头" : "打开摄像头";
});
$("screen").addEventListener("click", () => room.shareScreen().catch((e) => status(e.message)));
$("leave").addEventListener("click", () => room.leave());
$("chat-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("chat-text").value.trim();
  if (!text) return;
  showChat(await room.sendChat(text));
  $("chat-text").value = "";
});
