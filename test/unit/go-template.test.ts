import { GoTemplateRenderer } from '../helpers/go-template.js';

/** The chart test's renderer must follow text/template where it claims to (outputs as `helm template` gives them). */
describe('Go template renderer (test helper)', () => {
  const render = (source: string, values: Record<string, unknown> = {}, helpers = ''): string => {
    const renderer = new GoTemplateRenderer();
    renderer.addHelpers(helpers);
    return renderer.render(source, { Values: values, Release: { Name: 'r' } });
  };

  it('trims whitespace at {{- and -}}, and drops comments', () => {
    expect(render('a  {{- "b" -}}  c {{/* note */}}d')).toBe('abc d');
  });

  it('if / else if / else with sprig truthiness', () => {
    const source = '{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}';
    expect([render(source, { a: 1 }), render(source, { a: 0, b: [1] }), render(source, { a: '', b: [] })]).toEqual(['A', 'B', 'C']);
  });

  it('include with nindent, toYaml of maps, quote and default in pipelines', () => {
    const helpers = '{{- define "labels" -}}\napp: {{ .Release.Name }}\n{{- end }}';
    expect(render('m:\n  {{- include "labels" . | nindent 2 }}\nv: {{ .Values.missing | default "x" | quote }}', {}, helpers)).toBe('m:\n  app: r\nv: "x"');
    expect(render('c:{{ toYaml .Values.c | nindent 2 }}', { c: { a: [1, 2] } })).toBe('c:\n  a:\n    - 1\n    - 2');
  });

  it('range with a variable, printf, required', () => {
    expect(render('{{ range $p := .Values.ports }}[{{ printf "%s-%d" $p.name $p.port }}]{{ end }}', { ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] })).toBe('[a-1][b-2]');
    expect(() => render('{{ required "need x" .Values.x }}')).toThrow('need x');
  });

  it('throws on a function it does not implement instead of rendering wrong', () => {
    expect(() => render('{{ .Values.a | upper }}', { a: 'x' })).toThrow('upper');
  });
});
