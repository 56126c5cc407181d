/** The repositories device roles share, made once per database (prepared statements made once). */
import type { Database } from "bun:sqlite";
import { CapturesRepo } from "../../store/captures-repo.ts";
import { DevicesRepo } from "../../store/devices-repo.ts";
import { MeasurementsRepo } from "../../store/measurements-repo.ts";

export interface DeviceStore {
  devices: DevicesRepo;
  captures: CapturesRepo;
  measurements: MeasurementsRepo;
}

const cache = new WeakMap<Database, DeviceStore>();

export function deviceStore(db: Database): DeviceStore {
  let s = cache.get(db);
  if (!s) {
    s = { devices: new DevicesRepo(db), captures: new CapturesRepo(db), measurements: new MeasurementsRepo(db) };
    cache.set(db, s);
  }
  return s;
}
