/** The frontend's OpenAPI 3.1 document (served at GET /openapi.json). */

const tensor = {
  type: 'object',
  required: ['dtype', 'shape', 'data'],
  properties: {
    dtype: { enum: ['float32', 'float64', 'uint8', 'int32', 'int64'] },
    shape: { type: 'array', items: { type: 'integer', minimum: 1 }, description: '[batch, ...sample]' },
    data: { type: 'array', items: { type: 'number' }, description: 'row-major values' },
  },
};

const prediction = {
  type: 'object',
  properties: {
    output: { type: 'array', items: { type: 'number' }, description: 'probabilities (classifiers) or raw outputs' },
    probabilities: { type: 'object', additionalProperties: { type: 'number' }, description: 'by label name' },
    label: { description: 'multi-class: the top class; multi-label: the findings at or above the threshold' },
  },
};

const error = { type: 'object', properties: { error: { type: 'string' }, statusCode: { type: 'integer' } } };

/** The document, with the server's model names as the path parameter's enum. */
export function openApiDocument(models: string[]): object {
  const errors = {
    '400': {
      description: 'bad input (undecodable image, wrong shape or dtype, bad model name)',
      content: { 'application/json': { schema: error } },
    },
    '401': { description: 'missing or wrong bearer token' },
    '404': { description: 'unknown model' },
    '413': { description: 'body larger than the limit' },
    '415': { description: 'unsupported content type' },
    '429': { description: 'busy: the queue is full; retry after the Retry-After header' },
    '504': { description: 'no result within the time limit' },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'tszoo serving', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/models': {
        get: { summary: 'The models served', responses: { '200': { description: 'name -> model description' } } },
      },
      '/v1/models/{name}/predict': {
        post: {
          summary: 'Predict: one image (PNG, JPEG, TIFF, WebP), one DICOM file, or a JSON tensor batch',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', enum: models } }],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: tensor },
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
              'application/dicom': { schema: { type: 'string', format: 'binary' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          responses: {
            '200': {
              description: 'one prediction per input',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { model: { type: 'string' }, predictions: { type: 'array', items: prediction } },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/healthz': { get: { summary: 'The process is up', security: [], responses: { '200': { description: 'ok' } } } },
      '/readyz': {
        get: {
          summary: 'Models loaded and not draining',
          security: [],
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text/plain' } } } },
    },
  };
}
