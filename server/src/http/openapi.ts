// OpenAPI 3.1 document built from the same zod schemas that validate requests and type the answers (contract/).
import { z } from "zod";
import { Problem } from "@yilian/contract";
import type { RequestSchemas } from "./validate";

interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  auth: boolean;
  schemas: RequestSchemas;
  response?: z.ZodType;
  status?: number;
  produces?: string[];
}

const operations: Operation[] = [];

export function describeRoute(op: Operation): void {
  operations.push(op);
}

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

function parameters(schema: z.ZodType | undefined, where: "query" | "path") {
  if (!schema) return [];
  const js = jsonSchema(schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || (js.required ?? []).includes(name),
    schema: s,
  }));
}

const FILE = { type: "string", format: "binary" };

function success(op: Operation) {
  const status = String(op.status ?? (op.response || op.produces?.length ? 200 : 204));
  const content: Record<string, unknown> = {};
  if (op.response) content["application/json"] = { schema: jsonSchema(op.response, "output") };
  for (const type of op.produces ?? []) content[type] = { schema: type.endsWith("json") ? { type: "object" } : FILE };
  const description =
    status === "201"
      ? "Created"
      : status === "202"
        ? "Accepted: processing follows"
        : status === "204"
          ? "No content"
          : "OK";
  // A 201 without a body (tus creation) answers where the new resource is.
  const location =
    status === "201" && !Object.keys(content).length ? { headers: { Location: { schema: { type: "string" } } } } : {};
  return { [status]: { description, ...(Object.keys(content).length ? { content } : {}), ...location } };
}

const problemRef = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = op.path.replace(/:(\w+)/g, "{$1}");
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      tags: [op.tag],
      ...(op.auth ? { security: [{ bearer: [] }] } : {}),
      parameters: [...parameters(op.schemas.params, "path"), ...parameters(op.schemas.query, "query")],
      ...(op.schemas.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: jsonSchema(op.schemas.body, "input") } },
            },
          }
        : {}),
      responses: {
        ...success(op),
        "4XX": { description: "The caller's error (RFC 9457 problem details; `code` says which)", content: problemRef },
        "5XX": { description: "The server's or a dependency's failure (INTERNAL, UNAVAILABLE)", content: problemRef },
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Yilian API",
      version: "0.2.0",
      description:
        "远程医疗协作网 — REST API. Errors are RFC 9457 problem+json (components.schemas.Problem); times are ISO 8601 in UTC, shown in Asia/Shanghai.",
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: { Problem: jsonSchema(Problem, "output") },
    },
  };
}
