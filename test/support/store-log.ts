import type { StoreLog } from '../../src/store/store.ts';

// A StoreLog that keeps what the store said, for tests that check start-up notes and warnings.

export type LogEntry = { level: 'info' | 'warn'; message: string; bindings: object };
export type RecordingLog = StoreLog & { entries: LogEntry[]; messages(level?: LogEntry['level']): string[] };

export function createRecordingLog(): RecordingLog {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (bindings, message) => void entries.push({ level: 'info', message, bindings }),
    warn: (bindings, message) => void entries.push({ level: 'warn', message, bindings }),
    messages: (level) => entries.filter((e) => level === undefined || e.level === level).map((e) => e.message),
  };
}
