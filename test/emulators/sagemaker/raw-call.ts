/** An AWS JSON 1.1 call without the SDK, for sending what the SDK would refuse to. */
export async function rawCall (url: string, operation: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `SageMaker.${operation}`,
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240815/us-east-1/sagemaker/aws4_request, SignedHeaders=host, Signature=0',
      ...headers
    },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}
