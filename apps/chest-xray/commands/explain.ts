export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('tszoo cxr explain: not built yet\n');
  return 1;
}
