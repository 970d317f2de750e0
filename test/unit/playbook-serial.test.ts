import { expect } from 'chai';
import { serialBatches } from '../../src/playbook/serial.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const sizes = (b: string[][]) => b.map((x) => x.length);

describe('playbook serialBatches', () => {
  it('runs every host in one batch when serial is empty', () => {
    expect(serialBatches(hosts(5), [])).to.deep.equal([hosts(5)]);
  });

  it('has no batches without hosts', () => {
    expect(serialBatches([], [2])).to.deep.equal([]);
  });

  it('splits by a number, the last batch taking the rest', () => {
    expect(serialBatches(hosts(5), [2])).to.deep.equal([['h1', 'h2'], ['h3', 'h4'], ['h5']]);
  });

  it('repeats the last size of a list', () => {
    expect(sizes(serialBatches(hosts(10), [1, 3]))).to.deep.equal([1, 3, 3, 3]);
    expect(sizes(serialBatches(hosts(7), [1, 2, 10]))).to.deep.equal([1, 2, 4]);
  });

  it('takes percentages of the play host count, rounded down', () => {
    expect(sizes(serialBatches(hosts(10), ['30%']))).to.deep.equal([3, 3, 3, 1]);
    expect(sizes(serialBatches(hosts(7), ['50%']))).to.deep.equal([3, 3, 1]);
  });

  it('makes a percentage at least one host', () => {
    expect(sizes(serialBatches(hosts(3), ['10%']))).to.deep.equal([1, 1, 1]);
    expect(sizes(serialBatches(hosts(2), ['0%']))).to.deep.equal([1, 1]);
  });

  it('mixes numbers and percentages, percentages of the whole play', () => {
    expect(sizes(serialBatches(hosts(10), [1, '20%', '100%']))).to.deep.equal([1, 2, 7]);
  });

  it('reads numeric strings and treats 0 as all remaining hosts', () => {
    expect(sizes(serialBatches(hosts(5), ['2']))).to.deep.equal([2, 2, 1]);
    expect(sizes(serialBatches(hosts(5), [1, 0]))).to.deep.equal([1, 4]);
  });

  it('keeps host order', () => {
    expect(serialBatches(['c', 'a', 'b'], [1]).flat()).to.deep.equal(['c', 'a', 'b']);
  });
});
