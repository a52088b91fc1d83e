export { AlexNet, type AlexNetOptions, alexnet } from './alexnet.js';
export { AlexNetPaper, type AlexNetPaperOptions, TowerLocalResponseNorm, alexnetPaper } from './alexnet-paper.js';
