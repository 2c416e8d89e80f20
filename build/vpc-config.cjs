// A local osls plugin: the VPC stage parameters (vpcSubnetIds, vpcSecurityGroupIds) are both set or
// both empty. With only one of the two, Lambda would get a half-configured VpcConfig (CloudFormation
// refuses it at deploy time, or the function lands in no VPC and never reaches the private managers);
// packaging stops here instead, before anything is built, and says which one is missing.
//
// Each may be a YAML list (params: in serverless.yml) or, from the command line, a comma-separated
// string (`--param vpcSubnetIds=subnet-a,subnet-b`): a string is split into the list Lambda expects.
'use strict';

// (osls may hand a command-line value over as a list of one comma-separated string: that is split too)
const split = (x) => (typeof x === 'string' ? x.split(',').map((s) => s.trim()).filter(Boolean) : x === null || x === undefined ? [] : [x]);
const asList = (v) => {
  if (Array.isArray(v)) return v.flatMap(split);
  if (v === undefined || v === null || typeof v === 'string') return split(v);
  return v;
};

class VpcConfigCheck {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:initialize': () => this.check(),
      'before:deploy:function:initialize': () => this.check(),
    };
  }

  check() {
    const service = this.serverless.service;
    // one sentence per kind of half, naming the functions it concerns
    const halves = new Map();
    const half = (what, name) => halves.set(what, [...(halves.get(what) ?? []), name]);
    for (const [name, fn] of Object.entries(service.functions ?? {})) {
      if (!fn?.vpc) continue;
      const subnetIds = asList(fn.vpc.subnetIds);
      const securityGroupIds = asList(fn.vpc.securityGroupIds);
      fn.vpc.subnetIds = subnetIds;
      fn.vpc.securityGroupIds = securityGroupIds;
      // CloudFormation functions (Ref, Fn::ImportValue…) are taken as given
      if (!Array.isArray(subnetIds) || !Array.isArray(securityGroupIds)) continue;
      if (subnetIds.length && !securityGroupIds.length) half(`subnets (${subnetIds.join(', ')}) but no security group`, name);
      else if (securityGroupIds.length && !subnetIds.length) half(`security groups (${securityGroupIds.join(', ')}) but no subnet`, name);
    }
    const problems = [...halves].map(([what, names]) => `${names.map((n) => `"${n}"`).join(', ')} would have ${what}`);
    if (problems.length) {
      throw new this.serverless.classes.Error(
        `Half a VPC configuration: ${problems.join('; ')}. ` +
          'Set both stage parameters or neither: vpcSubnetIds (private subnets that reach SSM, DynamoDB, Lambda and Slack through NAT or VPC endpoints) ' +
          "and vpcSecurityGroupIds (a group the managers' security group admits on TCP 2376), " +
          'e.g. --param vpcSubnetIds=subnet-aaa,subnet-bbb --param vpcSecurityGroupIds=sg-ccc, or both under params: in serverless.yml.',
        'SWARM_OPS_HALF_VPC',
      );
    }
  }
}

module.exports = VpcConfigCheck;
