// Regenerates the constants block of glue-scripts/pipeline_transforms.py from config/ (npm run gen:constants).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PIPELINE_CONSTANTS_MODULE, withGeneratedConstants } from '../config/transform-plan';

const file = path.join(__dirname, '..', PIPELINE_CONSTANTS_MODULE);
fs.writeFileSync(file, withGeneratedConstants(fs.readFileSync(file, 'utf8')));
console.log(`wrote the generated constants of ${PIPELINE_CONSTANTS_MODULE}`);
