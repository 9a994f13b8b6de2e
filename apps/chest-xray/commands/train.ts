export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('tszoo cxr train: not built yet\n');
  return 1;
}
