import {
  AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, Flatten, Identity, Linear, LocalResponseNorm,
  MaxPool2d, type Module, ReLU, Sequential,
} from '@convkit/core';

/** A PyTorch module as packages/core/src/layers/fixtures/manifest.json describes it (tools/fixtures/make_layer_fixtures.py). */
export interface ModuleSpec {
  type: string;
  args?: Record<string, unknown>;
  children?: [string, ModuleSpec][];
}

/**
 * Our layer for a PyTorch module spec, with PyTorch's constructor arguments renamed to ours. An argument
 * with no mapping is refused, so a new fixture cannot pass by being half read.
 */
export function buildModule(spec: ModuleSpec): Module {
  const rest = { ...spec.args };
  const take = <T>(name: string): T => {
    const value = rest[name];
    delete rest[name];
    return value as T;
  };
  const options = <T>(names: Record<string, string>): T => {
    const out: Record<string, unknown> = {};
    for (const [torchName, ours] of Object.entries(names)) if (torchName in rest) out[ours] = take(torchName);
    return out as T;
  };
  const done = <M>(module: M): M => {
    const left = Object.keys(rest);
    if (left.length) throw new Error(`${spec.type}: no mapping for PyTorch argument(s) ${left.join(', ')}; add it to buildModule in @convkit/test-utils/layer-parity`);
    return module;
  };
  const conv = { stride: 'stride', padding: 'padding', dilation: 'dilation', groups: 'groups', bias: 'bias' };
  const pool = { stride: 'stride', padding: 'padding', ceil_mode: 'ceilMode' };
  switch (spec.type) {
    case 'Sequential': {
      const children = spec.children!.map(([name, child]) => [name, buildModule(child)] as const);
      return children.every(([name], i) => name === String(i))
        ? new Sequential(...children.map(([, m]) => m))
        : new Sequential(Object.fromEntries(children));
    }
    case 'Conv2d':
      return done(new Conv2d(take('in_channels'), take('out_channels'), take('kernel_size'), options(conv)));
    case 'ConvTranspose2d':
      return done(new ConvTranspose2d(take('in_channels'), take('out_channels'), take('kernel_size'), options({ ...conv, output_padding: 'outputPadding' })));
    case 'Linear':
      return done(new Linear(take('in_features'), take('out_features'), options({ bias: 'bias' })));
    case 'MaxPool2d':
      return done(new MaxPool2d(take('kernel_size'), options(pool)));
    case 'AvgPool2d':
      return done(new AvgPool2d(take('kernel_size'), options({ ...pool, count_include_pad: 'countIncludePad' })));
    case 'AdaptiveAvgPool2d':
      return done(new AdaptiveAvgPool2d(take('output_size')));
    case 'BatchNorm2d':
      return done(new BatchNorm2d(take('num_features'), options({ eps: 'eps', momentum: 'momentum', affine: 'affine', track_running_stats: 'trackRunningStats' })));
    case 'LocalResponseNorm':
      return done(new LocalResponseNorm(take('size'), take('alpha'), take('beta'), take('k')));
    case 'Dropout':
      return done(new Dropout(take('p')));
    case 'ReLU':
      return done(new ReLU());
    case 'Flatten':
      return done(new Flatten());
    case 'Identity':
      return done(new Identity());
    default:
      throw new Error(`no builder for PyTorch module ${spec.type}; add it to buildModule in @convkit/test-utils/layer-parity`);
  }
}

/** The module types a spec uses, itself first. */
export function moduleTypes(spec: ModuleSpec): string[] {
  return [spec.type, ...(spec.children ?? []).flatMap(([, child]) => moduleTypes(child))];
}
