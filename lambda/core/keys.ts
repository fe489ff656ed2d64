// Derives every output key of one raw file from its key and version, so a duplicate delivery maps to the same keys.
import { createHash } from 'node:crypto';
import { datasetForKey } from '../../config/parse';
import { datasetLayout, PREFIXES, REJECTS_FILE_EXTENSION } from '../../config/layout';
import type { PipelineConfig } from '../../config/schema';

export interface OutputKeys {
  /** null: the key is under no configured dataset prefix (inferred mode). */
  readonly dataset: string | null;
  /** processed/<ds>/<name>.csv (inferred mode: inferred/<name>.csv). */
  readonly processedKey: string;
  /** quarantine/<ds>/rows/<name>.jsonl (inferred: inferred/rejects/<name>.jsonl): JSON Lines, see rejects-jsonl.ts. */
  readonly rejectsKey: string;
  /** reports/<ds>/<name>.json (inferred: reports/_inferred/<name>.json). */
  readonly reportKey: string;
  /** quarantine/<ds>/files/<name><ext> (inferred: quarantine/_inferred/files/<name><ext>); <ext> is the raw file's, .csv when it has none. */
  readonly quarantinedFileKey: string;
  /** quarantinedFileKey + '.reason.json'. */
  readonly quarantineReasonKey: string;
}

/** The folder name used for files under no dataset prefix, where a dataset name would go. */
export const INFERRED_FOLDER = '_inferred';

/** Longest stem kept from the raw key, in characters (S3 keys may be 1,024 bytes; ours stay short). */
const MAX_STEM_LENGTH = 120;
/** Hex characters of the tag: 48 bits, so two different (key, version) pairs collide with negligible odds. */
const TAG_LENGTH = 12;

/**
 * The output keys of one raw file. <name> is flat (no "/", so each output prefix stays one folder the
 * crawler reads as one table), made of safe characters only ([A-Za-z0-9._-], never starting with "_"
 * or ".", which Spark and Hive treat as hidden), derived from the key's path under the dataset prefix,
 * followed by a tag hashed from the raw key and `versionTag` (the S3 versionId, else the ETag; locally
 * a content hash): the same object delivered twice maps to the same keys; two keys that clean up to
 * the same stem (e.g. "a b.csv" and "a_b.csv") or two versions of one key never share outputs.
 */
export function outputKeysFor(config: PipelineConfig, rawKey: string, versionTag: string): OutputKeys {
  if (rawKey === '') throw new Error('outputKeysFor: the raw key is empty; pass the S3 key or local path of the raw file');
  if (versionTag === '') throw new Error(`outputKeysFor: the version tag of "${rawKey}" is empty; pass the versionId, the ETag or a content hash`);
  const dataset = datasetForKey(config, rawKey);
  const relative = dataset
    ? rawKey.slice(datasetLayout(dataset).rawPrefix.length)
    : rawKey.startsWith(PREFIXES.raw)
      ? rawKey.slice(PREFIXES.raw.length)
      : rawKey;
  const { stem, extension } = splitName(relative);
  const name = `${safeStem(stem)}-${keyTag(rawKey, versionTag)}`;
  const quarantinedFileKey = dataset
    ? `${datasetLayout(dataset).quarantinedFilesPrefix}${name}${extension}`
    : `${PREFIXES.quarantine}${INFERRED_FOLDER}/files/${name}${extension}`;
  const base = dataset
    ? {
        dataset: dataset.name,
        processedKey: `${datasetLayout(dataset).processedPrefix}${name}.csv`,
        rejectsKey: `${datasetLayout(dataset).rejectedRowsPrefix}${name}${REJECTS_FILE_EXTENSION}`,
        reportKey: `${datasetLayout(dataset).reportsPrefix}${name}.json`,
      }
    : {
        dataset: null,
        processedKey: `${PREFIXES.inferred}${name}.csv`,
        rejectsKey: `${PREFIXES.inferred}rejects/${name}${REJECTS_FILE_EXTENSION}`,
        reportKey: `${PREFIXES.reports}${INFERRED_FOLDER}/${name}.json`,
      };
  return { ...base, quarantinedFileKey, quarantineReasonKey: `${quarantinedFileKey}.reason.json` };
}

/** Splits the last path segment's extension off (".csv", ".TSV", ".txt"...); ".csv" when there is none. */
function splitName(path: string): { stem: string; extension: string } {
  const match = /^(.*[^/.])(\.[A-Za-z0-9]{1,8})$/.exec(path);
  if (!match || match[1].endsWith('/')) return { stem: path, extension: '.csv' };
  return { stem: match[1], extension: match[2].toLowerCase() };
}

/** Path segments joined by "__", accents folded (é -> e), runs of other characters as "-". */
function safeStem(path: string): string {
  const segments = path
    .split('/')
    .map((segment) =>
      segment
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/[^A-Za-z0-9._]+/g, '-')
        .replace(/^[-._]+|[-._]+$/g, ''),
    )
    .filter((segment) => segment !== '');
  const stem = segments
    .join('__')
    .slice(0, MAX_STEM_LENGTH)
    .replace(/[-._]+$/, '');
  return stem === '' ? 'file' : stem;
}

function keyTag(rawKey: string, versionTag: string): string {
  return createHash('sha256').update(rawKey).update('\0').update(versionTag).digest('hex').slice(0, TAG_LENGTH);
}
