import { readFileSync } from 'node:fs'
import t from 'tap'
import { formatValidationMessage, modelPattern, requestModel, validateShape } from '../../../src/launch/sagemaker/api-model/index.js'
import { renderTrimmed, TRIMMED_MODEL_PATH } from './trim-model.js'

t.test('the trimmed model in src is current with shared/reference', async t => {
  t.equal(readFileSync(TRIMMED_MODEL_PATH, 'utf8'), renderTrimmed(), 'run: node --import tsx test/launch/sagemaker/trim-model.ts --write')
})

t.test('patterns are anchored, Unicode-aware and accept Java classes', async t => {
  t.ok(modelPattern('[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}').test('monai-seg--1'))
  t.notOk(modelPattern('[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}').test('monai_seg'), 'whole value must match')
  t.ok(modelPattern('([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)').test('Équipe 1:a/b'))
  t.ok(modelPattern('arn:[\\p{Alnum}\\-]+:lambda').test('arn:aws-cn:lambda'))
})

t.test('walker: required, enum, nested list paths, map keys, AWS message', async t => {
  const issues = validateShape(requestModel, 'CreateTrainingJobRequest', {
    TrainingJobName: 'ok',
    OutputDataConfig: { S3OutputPath: 's3://b/o' },
    ResourceConfig: { InstanceType: 'ml.x' },
    InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix' } } }],
    Environment: { 'bad-key': 'v' }
  })
  t.strictSame(issues.map(i => [i.path.join('.'), i.kind, i.mapKey ?? false]), [
    ['RoleArn', 'required', false],
    ['ResourceConfig.InstanceType', 'enum', false],
    ['InputDataConfig.0.DataSource.S3DataSource.S3Uri', 'required', false],
    ['Environment.bad-key', 'pattern', true]
  ])
  t.match(formatValidationMessage(issues), /^4 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; .*'inputDataConfig\.1\.member\.dataSource\.s3DataSource\.s3Uri'/)
})
