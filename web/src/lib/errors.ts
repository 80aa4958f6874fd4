// Every error tells the user what to do next: ErrorCode → zh-CN guidance, shown beside the server's message.
import { ErrorCode, errorMessageZh } from "@yilian/contract";
import { isYilianError } from "@yilian/client-sdk";

export const errorGuidance: Record<ErrorCode, string> = {
  VALIDATION_FAILED: "请按提示修改标红的字段后重新提交。",
  MALFORMED_JSON: "请刷新页面后重试；如仍出现，请联系技术支持。",
  PAYLOAD_TOO_LARGE: "请缩小文件或分批上传（单个文件请勿超过上传限制）。",
  HEADERS_TOO_LARGE: "请缩短搜索条件后重试；如仍出现，请清除浏览器中本站的 Cookie。",
  UNSUPPORTED_MEDIA_TYPE: "请上传 DICOM、JPEG、PNG、PDF 或 DOCX 格式的文件。",
  UNAUTHENTICATED: "请重新登录。",
  INVALID_CREDENTIALS: "请检查用户名和密码（区分大小写）；忘记密码请联系本机构管理员重置。",
  TOKEN_EXPIRED: "登录已过期，请重新登录；已填写的会诊申请会自动保留。",
  TOKEN_INVALID: "请重新登录。",
  TOKEN_REVOKED: "您的账号已在别处退出，请重新登录。",
  ACCOUNT_DISABLED: "请联系本机构管理员启用账号。",
  ACCOUNT_LOCKED: "锁定会按时自动解除；急需登录请联系本机构管理员解锁。",
  FORBIDDEN: "如需此权限，请联系本机构管理员。",
  NOT_FOUND: "记录不存在或您无权查看，请返回列表重新选择。",
  ROUTE_NOT_FOUND: "请刷新页面；如仍出现，请联系技术支持。",
  METHOD_NOT_ALLOWED: "请刷新页面后重试。",
  CONFLICT: "记录已被他人修改或时间已被占用，请刷新后重试。",
  INVALID_STATE: "记录状态已变化，请刷新页面查看最新状态。",
  UPLOAD_EXPIRED: "请重新选择该文件上传。",
  PACS_NOT_REGISTERED: "请联系本机构管理员在机构设置中登记 PACS 地址。",
  PACS_UNAVAILABLE: "请稍后重试；如持续出现，请联系本机构信息科检查 PACS。",
  NOT_ACCEPTABLE: "请在影像浏览器的设置中选择 DICOM 或 PNG/JPEG 格式后重试。",
  RATE_LIMITED: "请稍候一分钟再试。",
  UNAVAILABLE: "请检查网络连接，稍后重试；如持续出现，请联系技术支持。",
  INTERNAL: "请稍后重试；如持续出现，请将页面截图发给技术支持。",
};

export interface Explained {
  code: ErrorCode | "NETWORK";
  message: string;
  guidance: string;
  fields: { path: string; message: string }[];
}

/** One line for a toast: what happened, then what to do. */
export function errorText(e: unknown): string {
  const x = explain(e);
  return `${x.message}。${x.guidance}`;
}

/** A user-facing explanation of any thrown error. */
export function explain(e: unknown): Explained {
  if (isYilianError(e) && e.code in errorGuidance) {
    const code = e.code as ErrorCode;
    return { code, message: e.message || errorMessageZh[code], guidance: errorGuidance[code] ?? "", fields: e.issues };
  }
  if (isYilianError(e) && e.code === "NETWORK") {
    return { code: "NETWORK", message: "无法连接服务器", guidance: "请检查网络连接后重试。", fields: [] };
  }
  // Socket.IO acks and SDK errors carry a code too (YilianError).
  if (
    e &&
    typeof e === "object" &&
    "code" in e &&
    typeof (e as { code: unknown }).code === "string" &&
    (e as { code: string }).code in errorGuidance
  ) {
    const code = (e as { code: ErrorCode }).code;
    return {
      code,
      message: (e as { message?: string }).message || errorMessageZh[code],
      guidance: errorGuidance[code],
      fields: [],
    };
  }
  if (e && typeof e === "object" && (e as { code?: unknown }).code === "TIMEOUT") {
    return { code: "NETWORK", message: "服务器无响应", guidance: "请检查网络连接后重试。", fields: [] };
  }
  if (e instanceof DOMException && (e.name === "NotAllowedError" || e.name === "NotFoundError")) {
    return {
      code: "NETWORK",
      message: e.name === "NotAllowedError" ? "浏览器未允许使用摄像头或麦克风" : "未找到摄像头或麦克风",
      guidance: "请在浏览器地址栏左侧允许使用摄像头和麦克风，并检查设备连接后重试。",
      fields: [],
    };
  }
  if (e instanceof TypeError) {
    return { code: "NETWORK", message: "无法连接服务器", guidance: "请检查网络连接后重试。", fields: [] };
  }
  return { code: "INTERNAL", message: errorMessageZh.INTERNAL, guidance: errorGuidance.INTERNAL, fields: [] };
}
