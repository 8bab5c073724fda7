import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Creates a folder and its missing parents, one level at a time. Node 20's recursive mkdir never
 * returns for some paths it cannot create (e.g. under /proc); one level at a time fails with ENOENT.
 */
export function makeDirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) fs.mkdirSync(d, { mode });
}

/** Writes a file whole or not at all (a reader never sees half of it); no temporary file is left behind. */
export function writeFileAtomically(file: string, text: string, modes: { file?: number; folder?: number } = {}): void {
  makeDirs(path.dirname(file), modes.folder);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode: modes.file });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
