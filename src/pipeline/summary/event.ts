/**
 * The TensorBoard Event protobuf (tensorflow/core/util/event.proto) and its Summary
 * (tensorflow/core/framework/summary.proto), restricted to the fields scalar logging uses, encoded
 * with protobufjs from their field numbers.
 */
import protobuf from 'protobufjs/light.js';

const root = protobuf.Root.fromJSON({
  nested: {
    tensorflow: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ['simpleValue'] } },
              fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 } },
            },
          },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorflow.Event');

/** The file-version string of the first event of every event file. */
export const FILE_VERSION = 'brain.Event:2';

/** One scalar of a summary. */
export interface SummaryValue {
  tag: string;
  /** stored as a 32-bit float, as TensorBoard's simple_value is */
  simpleValue?: number;
}

/** An Event as far as tszoo writes and reads it. */
export interface TfEvent {
  /** seconds since the epoch */
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: SummaryValue[] };
}

/** Serialises an Event. */
export function encodeEvent(event: TfEvent): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/** Parses an Event (fields it does not know, such as graphs or histograms, are skipped). */
export function decodeEvent(bytes: Uint8Array): TfEvent {
  const object = EventType.toObject(EventType.decode(bytes), { longs: Number, defaults: true, oneofs: false });
  const event: TfEvent = { wallTime: object.wallTime, step: object.step };
  if (object.fileVersion) event.fileVersion = object.fileVersion;
  if (object.summary) {
    event.summary = {
      value: (object.summary.value as SummaryValue[]).map((v) =>
        typeof v.simpleValue === 'number' ? { tag: v.tag, simpleValue: v.simpleValue } : { tag: v.tag },
      ),
    };
  }
  return event;
}
