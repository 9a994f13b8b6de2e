export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('tszoo cxr predict: not built yet\n');
  return 1;
}
