import { access } from "./access";
import { assignment, assignmentRoundTrips } from "./assignment";
import { bulkConversion, bulkRoundTrips } from "./bulk";
import { happyPath } from "./happy";
import { hygiene } from "./hygiene";
import { integrationKeys, keyRoundTrips } from "./keys";
import { leadKeyRoundTrips, leadKeys } from "./lead-keys";
import { leadWriteRoundTrips, leadWrites } from "./lead-writes";
import { link, linkRoundTrips } from "./link";
import { listRoundTrips, lists } from "./lists";
import { nitIdentity } from "./nit";
import { races } from "./races";
import { readRoundTrips, reads } from "./reads";
import { refusals } from "./refusals";
import { roundTrips } from "./round-trips";

/** The whole contract, for targets that can count database round trips. */
export const CONTRACT = [
  happyPath,
  refusals,
  access,
  races,
  hygiene,
  roundTrips,
  integrationKeys,
  keyRoundTrips,
  reads,
  readRoundTrips,
  bulkConversion,
  bulkRoundTrips,
  link,
  linkRoundTrips,
  assignment,
  assignmentRoundTrips,
  lists,
  listRoundTrips,
  leadKeys,
  leadKeyRoundTrips,
  nitIdentity,
  leadWrites,
  leadWriteRoundTrips,
];

/** The contract without the round-trip count, for targets that cannot observe it. */
export const CONTRACT_WITHOUT_COUNTS = [
  happyPath,
  refusals,
  access,
  races,
  hygiene,
  integrationKeys,
  reads,
  bulkConversion,
  link,
  assignment,
  lists,
  leadKeys,
  nitIdentity,
  leadWrites,
];
