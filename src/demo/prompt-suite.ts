import { readFile } from 'node:fs/promises';

/** One prompt of the demo suite: a benchmark category and an OpenAI chat request's variable part. */
export interface DemoPrompt {
  readonly category: string;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  /** OpenAI tool definitions, for the agentic category. */
  readonly tools?: readonly unknown[];
}

/** Reads a JSONL prompt suite; a malformed line is an error naming the file and line. */
export async function readPromptSuite(file: string): Promise<DemoPrompt[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const prompts: DemoPrompt[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${file}:${index + 1}`;
    let entry: Partial<DemoPrompt>;
    try {
      entry = JSON.parse(line) as Partial<DemoPrompt>;
    } catch (error) {
      throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof entry.category !== 'string' || !Array.isArray(entry.messages) || entry.messages.length === 0) {
      throw new Error(`${where}: needs "category" (a string) and "messages" (a non-empty array)`);
    }
    prompts.push(entry as DemoPrompt);
  });
  return prompts;
}

/** The text the table shows for a prompt: its last user message. */
export function promptText(prompt: DemoPrompt): string {
  return [...prompt.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
}
