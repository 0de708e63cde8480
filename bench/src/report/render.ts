// Renders the report again from the stored latest results, without running anything: after a
// change to the generator (markdown.ts, intro.ts). `node --import tsx src/report/render.ts [small]`
import { INTRO } from './intro'
import { writeBenchmarksMd } from './results'

const size = process.argv[2] === 'small' ? 'small' : 'default'
process.stderr.write(`wrote ${writeBenchmarksMd(INTRO, size)}\n`)
