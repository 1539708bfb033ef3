export { startMithrilSim, type MithrilSim, type MithrilSimOptions } from './server';
export { INSTANCE_TYPES, REGIONS, type InstanceType } from './catalog';
