import type { CodeableConcept, Coding } from '@medplum/fhirtypes';
import type { ObservationKind } from '../../profiles/index.js';

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const UCUM = 'http://unitsofmeasure.org';
export const NHS_NUMBER = 'https://fhir.nhs.uk/Id/nhs-number';
export const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

const loinc = (code: string, display: string): Coding => ({ system: LOINC, code, display });
const snomed = (code: string, display: string): Coding => ({ system: SNOMED, code, display });

/** How one kind of Observation is coded. */
export interface ObservationCoding {
  readonly code: CodeableConcept;
  readonly category: 'vital-signs' | 'laboratory' | 'activity';
  /** The FHIR R4 vital-signs profile the Observation claims [FHIR R4 §observation-vitalsigns]. */
  readonly profile: string | undefined;
  /** Human-readable unit for `valueQuantity.unit` (the code is the profile's UCUM unit)… */
  readonly unitDisplay: string;
  /** …unless the Observation states another (a daily count of steps is `/d`). */
  readonly unitCode?: string;
}

/**
 * Codes per kind [clinical.md "FHIR R4 codes and units"]: LOINC as the FHIR R4 vital-signs profiles
 * require, with the SNOMED CT concept UK Core also asks for [UK Core Observation vital signs].
 * Oxygen saturation carries both 2708-6 (the vital-signs profile's code) and 59408-5 (by pulse oximetry).
 */
export const CODES: Readonly<Record<ObservationKind, ObservationCoding>> = {
  'blood-pressure': {
    code: { coding: [loinc('85354-9', 'Blood pressure panel with all children optional'), snomed('75367002', 'Blood pressure')], text: 'Blood pressure' },
    category: 'vital-signs',
    profile: 'http://hl7.org/fhir/StructureDefinition/bp',
    unitDisplay: 'mmHg',
  },
  'heart-rate': {
    code: { coding: [loinc('8867-4', 'Heart rate'), snomed('364075005', 'Heart rate')], text: 'Heart rate' },
    category: 'vital-signs',
    profile: 'http://hl7.org/fhir/StructureDefinition/heartrate',
    unitDisplay: 'beats/minute',
  },
  'respiratory-rate': {
    code: { coding: [loinc('9279-1', 'Respiratory rate'), snomed('86290005', 'Respiratory rate')], text: 'Respiratory rate' },
    category: 'vital-signs',
    profile: 'http://hl7.org/fhir/StructureDefinition/resprate',
    unitDisplay: 'breaths/minute',
  },
  'oxygen-saturation': {
    code: {
      coding: [
        loinc('2708-6', 'Oxygen saturation in Arterial blood'),
        loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
        snomed('431314004', 'Peripheral oxygen saturation'),
      ],
      text: 'Oxygen saturation',
    },
    category: 'vital-signs',
    profile: 'http://hl7.org/fhir/StructureDefinition/oxygensat',
    unitDisplay: '%',
  },
  'body-temperature': {
    code: { coding: [loinc('8310-5', 'Body temperature'), snomed('276885007', 'Core body temperature')], text: 'Body temperature' },
    category: 'vital-signs',
    profile: 'http://hl7.org/fhir/StructureDefinition/bodytemp',
    unitDisplay: 'Cel',
  },
  'body-weight': {
    code: { coding: [loinc('29463-7', 'Body weight'), snomed('27113001', 'Body weight')], text: 'Body weight' },
    category: 'vital-signs',
    profile: 'http://hl7.org/fhir/StructureDefinition/bodyweight',
    unitDisplay: 'kg',
  },
  // Not a vital sign: a capillary glucose is a point-of-care laboratory result; UK units are mmol/L
  // [clinical.md: glucose 15074-8 (moles)].
  'blood-glucose': {
    code: { coding: [loinc('15074-8', 'Glucose [Moles/volume] in Blood')], text: 'Blood glucose' },
    category: 'laboratory',
    profile: undefined,
    unitDisplay: 'mmol/L',
  },
  // [LOINC 41950-7] number of steps in 24 hours, measured; a physical activity observation.
  steps: {
    code: { coding: [loinc('41950-7', 'Number of steps in 24 hour Measured')], text: 'Steps per day' },
    category: 'activity',
    profile: undefined,
    unitDisplay: 'steps/day',
    unitCode: '/d',
  },
};

/** Blood pressure components [FHIR R4 bp profile: component systolic 8480-6, diastolic 8462-4]. */
export const BP_COMPONENTS = {
  systolic: { coding: [loinc('8480-6', 'Systolic blood pressure'), snomed('72313002', 'Systolic arterial pressure')], text: 'Systolic blood pressure' },
  diastolic: { coding: [loinc('8462-4', 'Diastolic blood pressure'), snomed('1091811000000102', 'Diastolic arterial pressure')], text: 'Diastolic blood pressure' },
} as const satisfies Record<string, CodeableConcept>;

const CATEGORY_DISPLAY: Readonly<Record<ObservationCoding['category'], string>> = { 'vital-signs': 'Vital Signs', laboratory: 'Laboratory', activity: 'Activity' };

export const categoryConcept = (category: ObservationCoding['category']): CodeableConcept => ({
  coding: [{ system: CATEGORY, code: category, display: CATEGORY_DISPLAY[category] }],
});

/** [FHIR R4 observation-statistics] how a summary's components are computed. */
export const STATISTICS = 'http://terminology.hl7.org/CodeSystem/observation-statistics';

/** UK Core AverageBloodPressure [clinical.md: 723232008, systolic 413606001, diastolic 413605002]. Never LOINC 8478-0. */
export const AVERAGE_BP = {
  code: { coding: [snomed('723232008', 'Average blood pressure')], text: 'Average home blood pressure' },
  systolic: { coding: [snomed('413606001', 'Average systolic blood pressure')], text: 'Average systolic blood pressure' },
  diastolic: { coding: [snomed('413605002', 'Average diastolic blood pressure')], text: 'Average diastolic blood pressure' },
} as const satisfies Record<string, CodeableConcept>;
