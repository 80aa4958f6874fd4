import { YilianError } from "./errors";

it("keeps every field of a problem: code, status, issues, requestId, currentStatus and the other extensions", () => {
  const e = YilianError.fromProblem(409, {
    type: "https://yilian.example/problems/invalid-state",
    title: "当前状态下不能执行此操作",
    status: 409,
    code: "INVALID_STATE",
    detail: "会诊当前状态为「已结束」，不能受理",
    requestId: "req-42",
    currentStatus: "CLOSED",
    currentVersion: 7,
  });
  expect(e).toMatchObject({
    code: "INVALID_STATE",
    status: 409,
    message: "会诊当前状态为「已结束」，不能受理",
    requestId: "req-42",
    currentStatus: "CLOSED",
    issues: [],
  });
  expect(e.details).toEqual({ currentStatus: "CLOSED", currentVersion: 7 });
});

it("names the bad fields of a validation problem", () => {
  const e = YilianError.fromProblem(400, {
    code: "VALIDATION_FAILED",
    detail: "请求参数不正确",
    errors: [{ path: "body.patient.idNumber", message: "身份证号校验位不正确" }],
  });
  expect(e.issues).toEqual([{ path: "body.patient.idNumber", message: "身份证号校验位不正确" }]);
});

it("turns a proxy's error page into UNAVAILABLE with the zh-CN default message", () => {
  expect(YilianError.fromProblem(502, null)).toMatchObject({
    code: "UNAVAILABLE",
    status: 502,
    message: "服务暂时不可用，请稍后再试",
  });
});

it("reads Socket.IO ack errors the same way", () => {
  expect(
    YilianError.fromAck({ code: "RATE_LIMITED", message: "发送过于频繁，请稍后再试", details: { retryAfterMs: 800 } }),
  ).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterMs: 800 } });
});
