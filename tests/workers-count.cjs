// How many test files run at once: JEST_MAX_WORKERS, else one jest worker per two cores from four cores up. On two
// cores one: the real-time media and Chromium tests need the CPU to themselves.
const os = require("node:os");

const set = Number(process.env.JEST_MAX_WORKERS);
const cores = os.availableParallelism();
module.exports = Number.isInteger(set) && set > 0 ? set : cores >= 4 ? Math.floor(cores / 2) : 1;
