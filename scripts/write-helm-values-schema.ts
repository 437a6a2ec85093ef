// Writes deploy/helm/switchyard/values.schema.json from the config schema (`make helm-schema`).
import { writeFile } from 'node:fs/promises';
import { helmValuesSchema } from '../src/config/helm-values-schema.js';

await writeFile(new URL('../deploy/helm/switchyard/values.schema.json', import.meta.url), `${JSON.stringify(helmValuesSchema(), null, 2)}\n`);
