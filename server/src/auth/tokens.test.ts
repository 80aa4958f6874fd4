import { ErrorCode } from "@yilian/contract";
import type { AuthUser } from "../authz/principal";
import type { SessionRegistry } from "./sessions";
import { TokenService } from "./tokens";

// Sessions are not checked here (checkSessions off): revocation has its own integration tests (tests/auth).
const service = (ttlS = 900) =>
  new TokenService("unit-test-secret-unit-test-secret-0123456789", {} as SessionRegistry, ttlS, false);

const user: AuthUser = {
  id: "5c0a4e46-3c1f-4a6e-9d0b-2f9b9c1d7e01",
  username: "doctor.unit",
  roles: ["DOCTOR"],
  institutionId: "0d2f6a9e-51a4-4b8b-8b43-6b1c0f3c2a10",
  institutionTier: "TOWNSHIP",
  departmentId: null,
  region: null,
  sessionId: "a3f1e2d4-6b7c-4d8e-9f01-23456789abcd",
};

describe("TokenService.verifyAccess", () => {
  it("answers the same principal for a token every time it is presented", async () => {
    const tokens = service();
    const token = await tokens.signAccess(user);
    expect(await tokens.verifyAccess(token)).toEqual(user);
    const again = await tokens.verifyAccess(token);
    expect(again).toEqual(user);
    again.roles.push("PROVINCE_ADMIN"); // what one request does with its principal stays with it
    expect((await tokens.verifyAccess(token)).roles).toEqual(["DOCTOR"]);
  });

  it("refuses a token changed after an earlier, genuine use of it", async () => {
    const tokens = service();
    const token = await tokens.signAccess(user);
    await tokens.verifyAccess(token);
    const [h, p, sig] = token.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, roles: ["PROVINCE_ADMIN"] })).toString("base64url")}.${sig}`;
    await expect(tokens.verifyAccess(forged)).rejects.toMatchObject({ code: ErrorCode.TOKEN_INVALID });
    await expect(tokens.verifyAccess(`${token}x`)).rejects.toMatchObject({ code: ErrorCode.TOKEN_INVALID });
  });

  it("refuses a token once it expired, even one verified before", async () => {
    const tokens = service(1);
    const token = await tokens.signAccess(user);
    await tokens.verifyAccess(token);
    await new Promise((r) => setTimeout(r, 2100));
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({ code: ErrorCode.TOKEN_EXPIRED });
    await expect(tokens.verifyAccess(token)).rejects.toMatchObject({ code: ErrorCode.TOKEN_EXPIRED });
  });

  it("refuses a token signed with another secret", async () => {
    const other = new TokenService("another-secret-another-secret-0123456789ab", {} as SessionRegistry, 900, false);
    await expect(service().verifyAccess(await other.signAccess(user))).rejects.toMatchObject({
      code: ErrorCode.TOKEN_INVALID,
    });
  });
});
