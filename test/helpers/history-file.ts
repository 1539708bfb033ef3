/**
 * Workflow histories as fixture files. The SDK's historyToJSON/historyFromJSON fail in this
 * install (@temporalio/common's protobufjs 8 meets @temporalio/proto's protobufjs 7: "type must
 * be a Type"), so fixtures use the generated code's own object form: plain JSON with 64-bit
 * numbers as strings and enums by name, read back with History.fromObject.
 */
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

export function historyToText(history: History): string {
  const message = temporal.api.history.v1.History.fromObject(history);
  const object = temporal.api.history.v1.History.toObject(message, { longs: String, enums: String, bytes: String, defaults: false });
  return `${JSON.stringify(object, null, 1)}\n`;
}

export function historyFromText(text: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(text));
}
