// Builds the whole seed in memory, in dependency order, and checks it against the published figures.
import { checkPlan } from "./checks";
import { addNamedConsortia, addNamedInstitutions, completeTelemedicineNetwork, loadNamedData } from "./named";
import { SeedPlan } from "./plan";
import { generateProvince } from "./province";
import { addJilinRegions } from "./regions";
import { addUsers } from "./users";

/** The complete, checked seed of the province. `passwordHash` is the one argon2 hash all demo accounts share. */
export function buildSeedPlan(passwordHash: string): SeedPlan {
  const data = loadNamedData();
  const plan = new SeedPlan();
  addJilinRegions(plan);
  addNamedInstitutions(plan, data);
  // Named consortia before the generator: their alliance lead departments (e.g. 急诊科) are then kept, and the
  // generator does not add a second department of the same specialty under its default name.
  addNamedConsortia(plan, data);
  generateProvince(plan);
  addUsers(plan, passwordHash);
  completeTelemedicineNetwork(plan, data);
  checkPlan(plan);
  return plan;
}
