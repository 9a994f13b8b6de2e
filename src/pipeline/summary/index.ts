/**
 * Training summaries: TensorBoard event files (writer, reader, the seed's TrainSummary and
 * ValidationSummary) and a JSON-lines log.
 */
export { crc32c, maskedCrc32c } from './crc32c.js';
export { decodeEvent, encodeEvent, FILE_VERSION, type SummaryValue, type TfEvent } from './event.js';
export {
  eventFiles,
  readEventFile,
  readRuns,
  readScalars,
  type ScalarPoint,
  type ScalarsByTag,
} from './event-reader.js';
export { EventFileWriter, type EventFileWriterOptions } from './event-writer.js';
export { JsonLinesWriter, readJsonLines } from './json-lines.js';
export { type IterationScalars, TRAIN_TAGS, TrainSummary, ValidationSummary } from './summaries.js';
export { type DecodedRecords, decodeRecords, encodeRecord } from './tfrecord.js';
