/** A file that cannot be accepted: ends the upload REJECTED with a reason the user can read (zh-CN). */
export class Rejection extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
    this.name = "Rejection";
  }
}
