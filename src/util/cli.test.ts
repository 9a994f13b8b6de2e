import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CliCommand, CliUsageError, formatHelp, intOption, numberOption, parseCommand } from './cli.js';

const cmd: CliCommand = {
  name: 'demo run',
  summary: 'runs the demo',
  positionals: '[PATH...]',
  options: {
    port: { type: 'string', value: 'PORT', default: '8080', help: 'HTTP port' },
    verbose: { type: 'boolean', short: 'v', help: 'say more' },
  },
};

describe('util/cli', () => {
  it('parses options with defaults and positionals', () => {
    const r = parseCommand(cmd, ['-v', 'a.png', '--port', '9000', 'b.png']);
    assert.deepEqual(r.positionals, ['a.png', 'b.png']);
    assert.equal(r.values.port, '9000');
    assert.equal(r.values.verbose, true);
    assert.equal(r.help, false);
    assert.equal(parseCommand(cmd, []).values.port, '8080');
  });

  it('names the unknown option and the command', () => {
    assert.throws(
      () => parseCommand(cmd, ['--prot', '1']),
      (e: Error) => {
        assert.ok(e instanceof CliUsageError);
        assert.match(e.message, /tszoo demo run: .*--prot/);
        return true;
      },
    );
  });

  it('checks integers and numbers with their bounds', () => {
    assert.equal(intOption({ port: '80' }, 'port', { min: 1 }), 80);
    assert.equal(intOption({}, 'port'), undefined);
    assert.throws(() => intOption({ port: '8.5' }, 'port'), /--port must be an integer, got '8.5'/);
    assert.throws(() => intOption({ port: '0' }, 'port', { min: 1 }), /--port must be >= 1, got 0/);
    assert.equal(numberOption({ lr: '1e-4' }, 'lr'), 1e-4);
    assert.throws(() => numberOption({ lr: 'fast' }, 'lr'), /--lr must be a number, got 'fast'/);
  });

  it('formats a help text listing every option with its default', () => {
    const help = formatHelp(cmd);
    assert.match(help, /Usage: tszoo demo run \[options\] \[PATH\.\.\.\]/);
    assert.match(help, /--port PORT\s+HTTP port \(default: 8080\)/);
    assert.match(help, /-v, --verbose\s+say more/);
    assert.match(help, /-h, --help/);
  });
});
