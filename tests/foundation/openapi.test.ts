// /openapi.json describes every success answer from the contract's schemas, every error field, and the rules a
// hospital's developer cannot guess (the ID number's check digit), so a client can be written from it alone.
import { startTestServer, type TestServer } from "../helpers/server";

let t: TestServer;
let doc: {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>
  >;
  components: { schemas: Record<string, { properties: Record<string, unknown> }> };
};

beforeAll(async () => {
  t = await startTestServer();
  doc = (await t.api("/openapi.json")).body;
});
afterAll(() => t.stop());

it("describes a success answer for every operation: a JSON schema, a file type, a 201 Location, or 204", () => {
  const missing: string[] = [];
  let operations = 0;
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      operations++;
      const ok = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
      const described = ok.some(
        ([status, r]) =>
          status === "204" ||
          Object.keys(r.content ?? {}).length > 0 ||
          (status === "201" && (r as { headers?: Record<string, unknown> }).headers?.Location),
      );
      if (!described) missing.push(`${method.toUpperCase()} ${path}`);
      expect(op.responses["4XX"]?.content?.["application/problem+json"]).toBeTruthy();
    }
  }
  expect(operations).toBeGreaterThan(60);
  expect(missing).toEqual([]);
});

it("documents the consultation detail from the contract (enums, masked ID, return expiry) and its real status codes", () => {
  const created = doc.paths["/api/consultations"]!.post!.responses["201"]!.content!["application/json"]!.schema as {
    properties: Record<string, { enum?: string[] }>;
  };
  expect(created.properties.status!.enum).toContain("RETURNED");
  expect(Object.keys(created.properties)).toEqual(
    expect.arrayContaining(["patient", "timeline", "returnExpiresAt", "booking", "report"]),
  );
  const targets = doc.paths["/api/consultations/targets"]!.get!.responses["200"]!.content!["application/json"]!
    .schema as { properties: { items: { items: { properties: { link: { enum: string[] } } } } } };
  expect(targets.properties.items.items.properties.link.enum).toContain("CITY_MEDICAL_GROUP");
  expect(Object.keys(doc.paths["/api/consultations/{id}/booking.ics"]!.get!.responses["200"]!.content!)).toEqual([
    "text/calendar",
  ]);
  expect(doc.paths["/api/uploads/{id}"]!.get!.responses["200"]!.content!["application/json"]).toBeTruthy();
  expect(doc.paths["/api/auth/logout"]!.post!.responses["204"]).toBeTruthy();
});

it("documents every problem field: code, errors, requestId, currentStatus and the other extensions", () => {
  const problem = doc.components.schemas.Problem!;
  expect(Object.keys(problem.properties)).toEqual(
    expect.arrayContaining([
      "type",
      "title",
      "status",
      "code",
      "detail",
      "requestId",
      "errors",
      "currentStatus",
      "currentVersion",
      "retryAfterMs",
    ]),
  );
  expect((problem.properties.code as { enum: string[] }).enum).toEqual(
    expect.arrayContaining(["INVALID_STATE", "VALIDATION_FAILED", "NOT_FOUND"]),
  );
});

it("explains the ID number's check digit in the request schema", () => {
  const body = doc.paths["/api/consultations"]!.post as unknown as {
    requestBody: {
      content: {
        "application/json": {
          schema: { properties: { patient: { properties: { idNumber: { description: string } } } } };
        };
      };
    };
  };
  const description =
    body.requestBody.content["application/json"].schema.properties.patient.properties.idNumber.description;
  expect(description).toContain("校验码");
  expect(description).toContain("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2");
});
