import { expect, test } from 'vitest';
import { loadToolchain } from '../../../src/dev/native/toolchain.ts';

test('the toolchain manifest pins every artifact of the local stack, from the registries only (PyPI, Maven Central, Debian), for linux x64 and arm64', async () => {
  const artifacts = await loadToolchain();
  expect(artifacts.map((artifact) => artifact.name).sort()).toEqual(['apicurio-registry', 'java', 'kafka', 'promtool', 'temporal', 'temporal-test-server', 'valkey', 'zipkin']);
  for (const artifact of artifacts) {
    const platforms = Object.keys(artifact.files).sort();
    expect(platforms, artifact.name).toEqual(platforms.includes('any') ? ['any'] : ['linux-arm64', 'linux-x64']);
    for (const file of Object.values(artifact.files).flat()) {
      expect(file.sha256, file.url).toMatch(/^[0-9a-f]{64}$/);
      expect(file.size, file.url).toBeGreaterThan(0);
      expect(new URL(file.url).origin, file.url).toBe({ PyPI: 'https://files.pythonhosted.org', Debian: 'https://deb.debian.org' }[artifact.registry] ?? 'https://repo1.maven.org');
    }
    if (artifact.bin) expect(Object.keys(artifact.bin).sort(), artifact.name).toEqual(platforms);
  }
});
