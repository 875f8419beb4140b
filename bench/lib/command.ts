import type { ConversionCommand } from "../../src/domain/conversion";
import { conversionCommand } from "../../src/domain/convert-lead-to-client";

/**
 * The command the service builds for a token that acts for `entityId`
 * (fresh ids, `"reject"` on an existing client), for timing the conversion
 * batch with no service around it.
 *
 * @example
 * await db.$client.batch(prepareConversionBatch(db).statementsFor(benchCommand(leadId, entityId)), "write");
 */
export function benchCommand(leadId: string, entityId: string, at = new Date().toISOString()): ConversionCommand {
  return conversionCommand(
    { actor: { kind: "jwt", financialEntityId: entityId, subject: entityId, scopes: null }, requestId: "bench" },
    { leadId, financialEntityId: entityId },
    at,
  );
}
