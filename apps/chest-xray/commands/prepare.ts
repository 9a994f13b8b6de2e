export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('tszoo cxr prepare: not built yet\n');
  return 1;
}
