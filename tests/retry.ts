// CI runs real Chromium, mediasoup and ffmpeg on a 2-core machine: a test that loses a timing race under load
// gets one more try there, and the first failure is still printed.
if (process.env.CI) jest.retryTimes(1, { logErrorsBeforeRetry: true });
