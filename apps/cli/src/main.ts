#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { LayerInputError } from '@convkit/core';
import { DataError } from '@convkit/data';
import { CliError, ExitCode } from './cli-error.js';
import { modelsCommand } from './commands/models.js';
import { summaryCommand } from './commands/summary.js';
import { runCommand } from './commands/run.js';
import { backendsCommand } from './commands/backends.js';
import { demoCommand } from './commands/demo.js';
import { benchCommand, benchWorkerCommand } from './commands/bench.js';
import { segmentCommand } from './commands/segment.js';
import { detectCommand } from './commands/detect.js';
import { classifyCommand } from './commands/classify.js';
import { trainCommand } from './commands/train.js';
import { evalCommand } from './commands/eval.js';
import { DATASETS } from './training/datasets.js';

const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend to run on (see `convkit backends`); default: the best available');

const noFuseOption = () =>
  new Option('--no-fuse', 'run every layer on its own: no BatchNorm folded into the convolution before it, no ReLU fused into the kernel (docs/inference-folding.md)');

const maxMegapixelsOption = () =>
  new Option('--max-megapixels <n>', 'refuse images of more pixels than this, from their header, before decoding').default('100');

const program = new Command()
  .name('convkit')
  .description('Classic convolutional networks in TypeScript: inspect, count, run and train them.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addHelpText('after', `
Exit codes:
  0  success
  2  bad command line: unknown command or option, missing argument, or an option value out of range
  3  bad input: a file that is missing, special, too large or malformed; weights that do not fit; an unknown
     model or backend; an output path that cannot be written; an input the model cannot take; out of memory
  1  an internal error in convkit (a bug: please report it)
Every error is one line on stderr, starting with 'convkit:'.

Examples:
  convkit models
  convkit summary vgg16 --input 224
  convkit summary resnet50 --json > resnet50.json
  convkit classify assets/images/digit-*.png --model lenet5 --weights assets/weights/lenet5-digits.safetensors
  convkit classify photo.jpg --model resnet18 --weights resnet18.safetensors --top 5 --json
  convkit train --model lenet5 --data digits --epochs 3 --out runs/lenet5
  convkit train --model lenet5 --data digits --epochs 6 --out runs/lenet5 --resume runs/lenet5/checkpoints/lenet5-digits-epoch3.safetensors
  convkit train --model fcn_tiny --data shapes-segmentation --epochs 5 --out runs/fcn
  convkit train --model lenet5 --data mnist/ --epochs 5 --out runs/mnist       (train-*/t10k-* IDX files)
  convkit eval --model lenet5 --weights runs/mnist/checkpoints/lenet5-mnist-epoch5.safetensors --data mnist/ --json
  convkit train --model fasterrcnn_small --data coco/annotations/instances_train2017.json --val coco/annotations/instances_val2017.json --epochs 5 --out runs/coco
  convkit eval --model fcn_tiny --weights runs/voc/checkpoints/fcn_tiny-VOC2012-epoch5.safetensors --data VOCdevkit/VOC2012 --json
  convkit run resnet18 --weights resnet18.safetensors --input x.npy --output y.npy --layout nchw
  convkit segment photo.jpg --model fcn_resnet50 --weights fcn.safetensors --out mask.png
  convkit detect photo.png --model fasterrcnn_small --weights frcnn.safetensors --out boxes.png --json
  convkit bench --models resnet18 --batches 1 --no-peers --out bench-out`);

program
  .command('models')
  .description('list every registered model with its task, parameter count and input size')
  .option('--json', 'print JSON instead of a table')
  .action(modelsCommand);

program
  .command('summary')
  .description('per-layer output shapes, parameters and multiply-accumulates (conv and linear layers, torchvision\'s convention)')
  .argument('<model>', 'a registered model name, e.g. resnet50')
  .option('--input <size>', 'input height[xwidth] in pixels (default: the model\'s published size)')
  .option('--json', 'print JSON: totalParams, trainableParams, macs and layers[] with name, type, outputShape, params, macs')
  .addOption(backendOption())
  .action(summaryCommand);

program
  .command('run')
  .description('one forward pass in eval mode: weights (.safetensors with PyTorch names) and input (.npy) to output (.npy)')
  .argument('<model>', 'a registered model name')
  .option('--weights <file>', 'safetensors file, e.g. a torchvision state_dict saved with safetensors.torch.save_file (default: random init)')
  .requiredOption('--input <file>', 'input batch as .npy float32')
  .requiredOption('--output <file>', 'where to write the output .npy (written whole or not at all)')
  .addOption(new Option('--layout <layout>', 'axis order of the input and image-shaped outputs').choices(['nchw', 'nhwc']).default('nhwc'))
  .addOption(backendOption())
  .addOption(noFuseOption())
  .addHelpText('after', `
Inputs holding NaN or infinity are refused: tfjs-wasm's XNNPACK kernels turn NaN into finite numbers (its
convolution into -Inf, its fused convolution and ReLU into 0), so such an input would give a confident answer.`)
  .action(runCommand);

program
  .command('classify')
  .description('the top classes of PNG or JPEG images with a classifier, with their probabilities')
  .argument('<image...>', 'PNG or JPEG files')
  .requiredOption('--model <name>', 'a classifier, e.g. lenet5 or resnet50 (see `convkit models`)')
  .option('--weights <file>', 'safetensors with the model\'s PyTorch names, e.g. a `convkit train` checkpoint (default: random init, and the classes say nothing)')
  .addOption(maxMegapixelsOption())
  .option('--top <k>', 'how many classes to print per image', '5')
  .option('--json', 'print JSON: results[] with image and top[] of index, label, probability')
  .addOption(backendOption())
  .addOption(noFuseOption())
  .addHelpText('after', `
Each image goes through the model's registered evaluation transform: for the ImageNet classifiers torchvision's
resize, centre crop and ImageNet mean/std; for lenet5 grey at 32x32, light strokes on dark (dark-on-light images
are inverted). Labels: a checkpoint's own class names, else the model's registered categories.`)
  .action(classifyCommand);

program
  .command('train')
  .description('train a model on a bundled data set or your own files: a checkpoint per epoch, a held-out metric, loss.json and loss.png')
  .requiredOption('--model <name>', 'the model to train, e.g. lenet5, fcn_tiny, fasterrcnn_small, yolo_tiny')
  .requiredOption('--data <name|path>', `a bundled data set (${[...DATASETS.keys()].join(', ')}), a folder of class folders or of IDX files, a VOC root, or a COCO instances_*.json`)
  .option('--val <path>', 'held-out data for --data files (default: its own t10k-* IDX files, val/ folder or VOC val split, else none)')
  .option('--images <dir>', 'the images folder of a COCO annotations file (default: annotations/instances_<split>.json -> <split>/ beside annotations/)')
  .option('--skip-corrupt', 'leave corrupt images of --data files out, counted after each epoch (default: stop at the first, naming it)')
  .requiredOption('--epochs <n>', 'train up to this epoch (with --resume: from the checkpoint\'s epoch on)')
  .option('--batch-size <n>', 'images per step (default: per data set and model, or the checkpoint\'s)')
  .option('--lr <rate>', 'Adam learning rate (default: per data set and model, or the checkpoint\'s)')
  .option('--seed <n>', 'seed of the initial weights and the batch order (default 0, or the checkpoint\'s)')
  .option('--checkpoint-dir <dir>', 'where <model>-<data>-epoch<n>.safetensors go (default: <out>/checkpoints)')
  .option('--resume <file>', 'go on from a checkpoint of the same model and data set')
  .option('--out <dir>', 'folder for loss.json and loss.png', 'convkit-out/train')
  .addOption(backendOption())
  .addHelpText('after', `
Data sets:
${[...DATASETS.values()].map((d) => `  ${d.name}: ${d.description}\n    trains ${d.models().join(', ')}`).join('\n')}
  <folder>: one subfolder of PNG/JPEG images per class (torchvision's ImageFolder), or root/train/ and root/val/ of
    them; or MNIST-format IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-*; gzipped or not)
  Files are read lazily and decoded in worker threads, through the model's registered evaluation transform; the
  model is built for the data's classes, and grey or RGB images are converted to the model's channels.
  <VOC root>: the folder holding Annotations, JPEGImages and ImageSets (VOCdevkit/VOC2012). A detector trains on
    ImageSets/Main/train.txt's boxes (difficult objects left out), a segmenter on ImageSets/Segmentation/train.txt's
    SegmentationClass palette PNGs (255 = void, ignored); val.txt is held out.
  <instances_*.json>: COCO detection annotations (crowd regions left out of training); images in --images.
  Detection and segmentation images are resized to the model's input size and flipped at random (seeded);
  detectors train with their recipe from @convkit/detection where they have one (fasterrcnn_small, fastrcnn_small,
  yolo_tiny), else on the sum of their losses. The held-out metric is VOC mAP@0.5 or mean IoU, at each image's size.

Checkpoints are safetensors with PyTorch names; their header metadata holds the epoch, the settings and
the learning curve. Adam's state goes beside each one (<checkpoint>.adam.safetensors), and every epoch
draws its batch order from the seed and the epoch's number, so a resumed run repeats the uninterrupted
one exactly.`)
  .action(trainCommand);

program
  .command('eval')
  .description('score trained weights on a data set from files: a classifier\'s accuracy, a segmenter\'s IoU, a detector\'s COCO and VOC AP')
  .requiredOption('--model <name>', 'the model the weights are for, e.g. lenet5')
  .requiredOption('--weights <file>', 'safetensors with the model\'s PyTorch names, e.g. a `convkit train` checkpoint')
  .requiredOption('--data <path>', 'a folder of class folders (or of train/ and val/ ones) or of IDX files; a VOC root; a COCO instances_*.json')
  .option('--split <split>', 'train, val or test (default: the held-out split: IDX t10k-*, val/, VOC val.txt; else the whole folder or train.txt); not for COCO, whose file is one split')
  .option('--images <dir>', 'the images folder of a COCO annotations file (default: annotations/instances_<split>.json -> <split>/ beside annotations/)')
  .option('--batch-size <n>', 'images per forward pass', '64')
  .option('--skip-corrupt', 'leave corrupt images out, counted on stderr (default: stop at the first, naming it)')
  .option('--json', 'print one JSON object: task, model, weights, data, split, count and the task\'s metrics (below)')
  .addOption(backendOption())
  .addHelpText('after', `
Metrics (fractions in [0, 1]):
  classification (image folders, IDX files): top1, top5
  segmentation (a VOC root's SegmentationClass masks, scored at each image's size; 255 = void, ignored):
    pixelAccuracy, meanIou (over the classes in truth or prediction), perClassIou {class: IoU or null}
  detection (a VOC root's Annotations, or a COCO instances_*.json; boxes from the model's detect at each image's size):
    COCO's ap (IoU .50:.05:.95), ap50, ap75, apSmall, apMedium, apLarge, ar100 (pycocotools; -1 where nothing
    is measured), and vocAp, VOC's mean AP at IoU 0.5, with vocApVariant: voc2007-11point for a VOC2007 root,
    else voc2010-allpoints. COCO crowd regions count as VOC difficult objects and the other way round.`)
  .action(evalCommand);

program
  .command('segment')
  .description('per-pixel classes of an image (PNG or JPEG) with a segmentation model, written as a colour-coded mask')
  .argument('<image>', 'PNG or JPEG file')
  .requiredOption('--model <name>', 'a segmentation model, e.g. fcn_resnet50 (see `convkit models`)')
  .option('--weights <file>', 'safetensors with the model\'s PyTorch names (default: random init, and the mask says nothing)')
  .requiredOption('--out <file>', 'the class mask as PNG (PASCAL VOC colours)')
  .option('--overlay <file>', 'also the mask blended over the image, PNG')
  .option('--heatmap <file>', 'also one class\'s probability as a heat map, PNG')
  .option('--heatmap-class <index>', 'the class of --heatmap (default: the most frequent predicted class but background)')
  .addOption(maxMegapixelsOption())
  .option('--num-classes <n>', 'build the model for this many classes, to match the weights (default: the weights file\'s class names, else the model\'s)')
  .addOption(backendOption())
  .addOption(noFuseOption())
  .addHelpText('after', `
The image goes through the model's registered evaluation transform (fcn_resnet50: shorter side to 520 and
ImageNet's mean and std, as torchvision's weights; the VGG FCNs: own size, ImageNet's; fcn_tiny: x - 0.5), and
the logits are resized back to the image. Classes are named by the weights file's metadata, else the model's
registered categories (VOC's 21 for the FCNs, the shapes' for fcn_tiny).`)
  .action(segmentCommand);

program
  .command('detect')
  .description('objects in an image (PNG or JPEG) with a detection model: boxes, labels and scores drawn into a PNG and/or printed as JSON')
  .argument('<image>', 'PNG or JPEG file')
  .requiredOption('--model <name>', 'a detection model, e.g. fasterrcnn_small (see `convkit models`)')
  .option('--weights <file>', 'safetensors with the model\'s names (default: random init, and the boxes say nothing)')
  .option('--out <file>', 'the image with boxes drawn, PNG')
  .addOption(maxMegapixelsOption())
  .option('--json', 'print the detections as JSON')
  .option('--min-size <px>', 'fasterrcnn_resnet50_fpn: the shorter side its transform resizes to (torchvision\'s min_size, default 800)')
  .option('--max-size <px>', 'fasterrcnn_resnet50_fpn: the longest the longer side may get (max_size, default 1333)')
  .addOption(backendOption())
  .addOption(noFuseOption())
  .action(detectCommand);

program
  .command('backends')
  .description('the backends registered in this installation, whether each runs here, and why not')
  .option('--json', 'print JSON')
  .action(backendsCommand);

program
  .command('demo')
  .description('a tour of convkit on bundled images and data: classifiers counted against their papers, digits classified, a segmentation, detections, selective search, a training run')
  .option('--out <dir>', 'folder for the outputs (JSON, PNG)', 'convkit-out/demo')
  .addOption(backendOption())
  .action(demoCommand);

program
  .command('bench')
  .description('median latency and peak memory of classifiers and detectors per backend, next to onnxruntime-node and PyTorch CPU run on the same machine')
  .option('--models <names>', 'comma-separated classifiers or detectors (fasterrcnn_resnet50_fpn runs end to end on one image)', 'alexnet,vgg16,googlenet,resnet50,densenet121')
  .option('--batches <sizes>', 'comma-separated batch sizes', '1,8')
  .option('--backends <names>', 'comma-separated convkit backends (default: every available one but cpu, which takes seconds per image)')
  .option('--repeats <n>', 'timed runs per configuration; the median is reported', '7')
  .option('--warmup <n>', 'untimed runs first', '2')
  .addOption(noFuseOption())
  .option('--unfused', 'also time each convkit backend with --no-fuse, reported as runtime \'<backend> unfused\'')
  .option('--train <model:batch>', "also time one SGD training step of this model and batch ('' for none)", 'resnet18:8')
  .option('--no-peers', 'skip onnxruntime-node and PyTorch')
  .option('--python <path>', 'Python with torch and torchvision, for the peers', '/usr/bin/python3')
  .option('--out <dir>', 'folder for bench.json and bench.png (the bar chart)', 'convkit-out/bench')
  .action(benchCommand);

program
  .command('bench-worker', { hidden: true })
  .argument('<model>')
  .requiredOption('--runtime <name>')
  .option('--batches <sizes>', '', '1')
  .option('--train <batch>')
  .option('--repeats <n>', '', '7')
  .option('--warmup <n>', '', '2')
  .option('--onnx <file>')
  .option('--no-fuse')
  .action(benchWorkerCommand);

try {
  await program.parseAsync(process.argv);
} catch (caught) {
  // A layer names itself in every error from its forward pass; what it wraps tells a bad input from a bug.
  const error = caught instanceof LayerInputError && caught.cause instanceof Error ? caught.cause : caught;
  const where = error !== caught ? ` in ${(caught as Error).message.split(':')[0]}` : '';
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else if (error instanceof CliError) {
    console.error(`convkit: ${error.message}`);
    process.exitCode = error.exitCode;
  } else if (error instanceof DataError) {
    // @convkit/data names the file and what to do in one line: a corrupt image met while training or scoring.
    console.error(`convkit: ${error.message}`);
    process.exitCode = ExitCode.badInput;
  } else if (error instanceof LayerInputError) {
    // A layer's own check of what it is given (too small, wrong channels): the input's fault, not convkit's.
    console.error(`convkit: the input does not fit the model: ${error.message}`);
    process.exitCode = ExitCode.badInput;
  } else if (isAllocationFailure(error)) {
    console.error(`convkit: out of memory${where} (${(error as Error).message}); try a smaller input or model`);
    process.exitCode = ExitCode.badInput;
  } else if (error instanceof WebAssembly.RuntimeError) {
    // tfjs-wasm's heap stops at 4 GB, and running past it surfaces as a trap such as 'memory access out of bounds'.
    console.error(`convkit: the wasm backend failed${where} (${error.message}), most likely out of its 4 GB of memory; try a smaller input, or --backend onednn or cpu`);
    process.exitCode = ExitCode.badInput;
  } else {
    console.error(`convkit: internal error: ${(caught as Error)?.stack ?? caught}`);
    process.exitCode = ExitCode.internal;
  }
}

function isAllocationFailure(error: unknown): boolean {
  return error instanceof RangeError && /Invalid typed array length|Array buffer allocation failed|Invalid array length/.test(error.message);
}
