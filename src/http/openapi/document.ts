import * as z from "zod/mini";
import { CONVERT_SCOPE } from "../../domain/scopes";
import { AUTH_REALM, DEFAULT_RATE_LIMITS } from "../auth";
import { RETRY_AFTER_SECONDS } from "../error-handler";
import { apiKeysContract } from "../routes/api-keys";
import { docsContract } from "../routes/docs";
import { eventsContract } from "../routes/events";
import { healthContract } from "../routes/health";
import { leadAssignmentContract } from "../routes/lead-assignment";
import { leadWritesContract } from "../routes/lead-writes";
import { leadsContract } from "../routes/leads";
import { leadListContract, userListContract } from "../routes/lists";
import { turnLeadIntoClientContract } from "../routes/turn-lead-into-client";
import { turnLeadsIntoClientsContract } from "../routes/turn-leads-into-clients";
import { usersContract } from "../routes/users";
import { webhookEndpointsContract } from "../routes/webhook-endpoints";
import { type Method, type PathItem, type RouteContract, type SchemaComponent, TAGS, type Tag } from "./contract";
import { guideChapter, guideOverview } from "./guide";
import { leadWriteHeaders } from "./lead-writes";
import { sharedSchemas } from "./schemas";

// Assembles the OpenAPI 3.1 document from what each route module declares
// (its `…Contract()`, beside its handler). The Worker serves what
// scripts/assets.ts wrote at build time; the Node entry builds it at start.

/** Every route module's contract. A new route module adds its own here (test/http/openapi.test.ts fails until it does). */
const CONTRACTS: (() => RouteContract)[] = [
  turnLeadIntoClientContract,
  turnLeadsIntoClientsContract,
  leadListContract,
  leadsContract,
  leadWritesContract,
  leadAssignmentContract,
  userListContract,
  usersContract,
  webhookEndpointsContract,
  eventsContract,
  apiKeysContract,
  healthContract,
  docsContract,
];

const METHODS: Method[] = ["get", "post", "patch", "delete"];

/** Each operation of the path, listed under the contract's tag. */
function tagged(item: PathItem, tag: Tag): PathItem {
  const out: PathItem = { ...item };
  for (const method of METHODS) {
    const operation = item[method];
    if (operation) out[method] = { ...operation, tags: [tag] };
  }
  return out;
}

/** The component schemas, from zod (request bodies as the validators read them: input). */
function componentSchemas(schemas: Record<string, SchemaComponent>) {
  const registry = z.registry<{ id: string; description?: string }>();
  for (const [id, { schema, description }] of Object.entries(schemas)) {
    registry.add(schema, description === undefined ? { id } : { id, description });
  }
  const { schemas: json } = z.toJSONSchema(registry, { io: "input", uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(json).map(([id, schema]) => {
      const { $schema: _, $id: __, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

/** The headers responses refer to with `header(name)`. */
const componentHeaders = () => ({
  ...leadWriteHeaders(),
  XRequestId: {
    description:
      "The request id: yours when you send an `X-Request-Id` of 1–200 visible ASCII characters without spaces or quotes, else a new UUID.",
    required: true,
    schema: { type: "string", pattern: "^[\\x21\\x23-\\x26\\x28-\\x7e]{1,200}$" },
  },
  CacheControlNoStore: {
    description: "Never cached: bodies carry personal data, and errors echo ids.",
    required: true,
    schema: { type: "string", const: "no-store" },
  },
  IdempotentReplayed: {
    description: "`true` when the answer is the client an earlier request created; absent otherwise.",
    schema: { type: "string", enum: ["true"] },
  },
  LeadLinked: {
    description:
      '`true` when the lead went into a client the entity already had (`on_existing_client: "link"`), now or in the request this one replays; absent otherwise.',
    schema: { type: "string", enum: ["true"] },
  },
  RetryAfter: {
    description: "Seconds to wait before retrying.",
    required: true,
    schema: { type: "string", pattern: "^[0-9]+$", example: String(RETRY_AFTER_SECONDS) },
  },
  RateLimitPolicy: {
    description:
      'The budget that was exceeded (IETF httpapi-ratelimit-headers), e.g. `"conversions";q=600;w=60`: the credential\'s (`conversions`, `requests`), its entity\'s — all its credentials together, 3× by default (`entity-conversions`, `entity-requests`) — or the client address\'s keys that failed (`"auth-failures";q=30;w=60`).',
    required: true,
    schema: {
      type: "string",
      pattern: '^"(conversions|requests|entity-conversions|entity-requests|auth-failures)";q=[0-9]+;w=60$',
      example: `"conversions";q=${DEFAULT_RATE_LIMITS.conversions};w=60`,
    },
  },
  WWWAuthenticate: {
    description: 'The Bearer challenge (RFC 6750); `error="invalid_token"` when a token was sent.',
    required: true,
    schema: { type: "string", pattern: "^Bearer " },
  },
  Allow: {
    description: "The methods this path accepts.",
    required: true,
    schema: { type: "string", pattern: "^[A-Z]+(, [A-Z]+)*$" },
  },
  AcceptJson: {
    description: "Sent when the content type was refused: the one accepted.",
    schema: { type: "string", const: "application/json" },
  },
  AcceptEncodingIdentity: {
    description: "Sent when a compressed body was refused (RFC 7694): bodies are accepted uncompressed only.",
    schema: { type: "string", const: "identity" },
  },
});

/**
 * The OpenAPI 3.1 document of the API.
 *
 * @example
 * writeFileSync("dist/assets/openapi.json", JSON.stringify(buildOpenApiDocument("1.0.0")));
 */
export function buildOpenApiDocument(version: string) {
  const contracts = CONTRACTS.map((contract) => contract());
  const paths: Record<string, PathItem> = {};
  const schemas: Record<string, SchemaComponent> = sharedSchemas();
  for (const contract of contracts) {
    for (const [path, item] of Object.entries(contract.paths)) {
      // Two modules may share a path (GET /leads lists, POST /leads creates), never an operation.
      const existing = paths[path];
      const added = tagged(item, contract.tag);
      if (existing) {
        for (const method of METHODS) {
          if (existing[method] && added[method])
            throw new Error(`${method} ${path} is declared by two route contracts`);
        }
        if (existing.parameters && added.parameters) throw new Error(`${path} has parameters from two route contracts`);
      }
      paths[path] = { ...existing, ...added };
    }
    for (const [id, component] of Object.entries(contract.schemas ?? {})) {
      if (id in schemas) throw new Error(`the component schema ${id} is declared twice`);
      schemas[id] = component;
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Lead to client conversion API",
      version,
      description: guideOverview(),
    },
    tags: TAGS.map((name) => ({ name, description: guideChapter(name) })),
    paths,
    components: {
      schemas: componentSchemas(schemas),
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: `An integration key (\`lck_…\`, created with \`POST /api-keys\`; accepted wherever a token is, except key management), or a JWT (HS256 with the shared secret; RS256/ES256 from your identity provider when a JWKS is configured). It must carry \`exp\`; it acts for the entity in \`financial_entity_id\`, or else \`sub\`; its \`scope\` claim, or else \`scp\` (a space-separated string or an array), must include \`${CONVERT_SCOPE}\` to convert, \`webhooks:manage\` for webhook endpoints and redelivery, and \`events:read\` to read events and their deliveries; \`typ\` may be absent, \`JWT\` or \`at+jwt\`. Realm: \`${AUTH_REALM}\`.`,
        },
      },
      headers: componentHeaders(),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
