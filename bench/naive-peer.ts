import type { Client, InValue } from "@libsql/client/http";

// The usual way to write the conversion, kept for comparison only (never in src/):
// an interactive transaction that reads, decides in application code, then writes —
// each statement a round trip to the database.

export type NaiveOutcome = "converted" | "replayed" | "refused";

/** Converts one lead the way most services would, over an interactive transaction. */
export async function naiveConvert(
  client: Client,
  leadId: string,
  entityId: string,
  subject: string,
): Promise<NaiveOutcome> {
  const tx = await client.transaction("write");
  try {
    const entity = (
      await tx.execute({
        sql: "select id, ecosystem_id, status from financial_entities where id = ?",
        args: [entityId],
      })
    ).rows[0];
    if (entity?.status !== "active") return "refused";
    const row = (await tx.execute({ sql: "select * from leads where id = ?", args: [leadId] })).rows[0];
    if (!row || row.ecosystem_id !== entity.ecosystem_id) return "refused";
    const lead = (column: string): InValue => (row as unknown as Record<string, InValue | undefined>)[column] ?? null;
    if (lead("converted_client_id") !== null) return "replayed";
    if (lead("financial_entity_id") !== null && lead("financial_entity_id") !== entityId) return "refused";
    const clash = await tx.execute({
      sql: "select id from clients where financial_entity_id = ? and nit_key = ? and nit_key <> ''",
      args: [entityId, lead("nit_key")],
    });
    if (clash.rows.length > 0) return "refused";
    const clientId = crypto.randomUUID();
    const at = new Date().toISOString();
    await tx.execute({
      sql: `insert into clients (id, financial_entity_id, ecosystem_id, lead_id, image, name, lastname, business_name, quota, phone, email, nit, nit_key, address, score, business_entity, status, history, payment_data, apn_token, additional_data, created_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', '[]', coalesce(?, '{}'), '', coalesce(?, '{}'), ?)`,
      args: [
        clientId,
        entityId,
        entity.ecosystem_id as InValue,
        leadId,
        ...[
          "image",
          "name",
          "lastname",
          "business_name",
          "quota",
          "phone",
          "email",
          "nit",
          "nit_key",
          "address",
          "score",
          "business_entity",
          "payment_data",
          "additional_data",
        ].map(lead),
        at,
      ],
    });
    await tx.execute({
      sql: "update leads set status = 'converted', converted_client_id = ?, converted_at = ?, financial_entity_id = ? where id = ?",
      args: [clientId, at, entityId, leadId],
    });
    await tx.execute({
      sql: "insert into lead_conversions (id, lead_id, client_id, financial_entity_id, subject, request_id, converted_at) values (?, ?, ?, ?, ?, ?, ?)",
      args: [crypto.randomUUID(), leadId, clientId, entityId, subject, clientId, at],
    });
    await tx.commit();
    return "converted";
  } finally {
    tx.close();
  }
}
