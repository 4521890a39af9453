// Reading badge QR codes from the phone's camera, a few frames a second.
// Decoders, best first: the browser's own BarcodeDetector, the ZXing
// WebAssembly ponyfill, then jsQR in plain JavaScript.

const SAMPLE_INTERVAL_MS = 200;
// Badge codes are big and coarse: a smaller picture decodes faster, reads as well.
const MAX_SAMPLE_SIDE = 960;

const loadedScripts = new Map();

function loadScript(src) {
  if (!loadedScripts.has(src)) {
    loadedScripts.set(src, new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    }));
  }
  return loadedScripts.get(src);
}

async function nativeDecoder() {
  if (!("BarcodeDetector" in window)) {
    return null;
  }
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) {
      return null;
    }
  } catch {
    return null;
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  return {
    name: "native",
    decode: async (canvas) => (await detector.detect(canvas)).map((code) => code.rawValue),
  };
}

async function zxingDecoder(vendor) {
  await loadScript(vendor.ponyfill);
  const api = window.BarcodeDetectionAPI;
  // Fetch the WebAssembly from this server (and so from the offline cache), never a CDN.
  await api.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? vendor.wasm : prefix + path),
    },
    fireImmediately: true,
  });
  const detector = new api.BarcodeDetector({ formats: ["qr_code"] });
  return {
    name: "zxing",
    decode: async (canvas, image) => (await detector.detect(image)).map((code) => code.rawValue),
  };
}

async function jsqrDecoder(vendor) {
  await loadScript(vendor.jsqr);
  return {
    name: "jsqr",
    decode: async (canvas, image) => {
      const code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return code ? [code.data] : [];
    },
  };
}

async function bestDecoder(vendor) {
  const native = await nativeDecoder();
  if (native) {
    return native;
  }
  try {
    return await zxingDecoder(vendor);
  } catch {
    return jsqrDecoder(vendor);
  }
}

export class CameraScanner {
  constructor(video, vendor, { onCode, onState }) {
    this.video = video;
    this.vendor = vendor;
    this.onCode = onCode;
    this.onState = onState;
    this.stream = null;
    this.timer = null;
    this.decoder = null;
    this.canvas = document.createElement("canvas");
    this.context = this.canvas.getContext("2d", { willReadFrequently: true });
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (this.running) {
      return true;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.onState("unavailable");
      return false;
    }
    this.onState("starting");
    this.decoder = this.decoder || bestDecoder(this.vendor);
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      // Another app taking the camera, or the phone revoking it, ends the track.
      this.stream.getVideoTracks().forEach((track) => track.addEventListener("ended", () => this.stop()));
      this.video.srcObject = this.stream;
      this.video.hidden = false;
      await this.video.play();
    } catch {
      this.stop("unavailable");
      return false;
    }
    this.onState("running");
    this.schedule();
    return true;
  }

  stop(state = "off") {
    clearTimeout(this.timer);
    if (this.stream) {
      this.stream.getTracks().forEach((track) => track.stop());
    }
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
    this.onState(state);
  }

  schedule() {
    this.timer = setTimeout(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  async sample() {
    if (!this.running) {
      return;
    }
    try {
      if (!document.hidden && this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
        const codes = await this.decodeFrame();
        codes.forEach((code) => this.onCode(code));
      }
    } catch {
      this.decoder = jsqrDecoder(this.vendor);
    } finally {
      if (this.running) {
        this.schedule();
      }
    }
  }

  async decodeFrame() {
    const decoder = await this.decoder;
    this.video.dataset.decoder = decoder.name;
    const image = this.grabFrame();
    return image ? decoder.decode(this.canvas, image) : [];
  }

  grabFrame() {
    const { videoWidth, videoHeight } = this.video;
    if (!videoWidth || !videoHeight) {
      return null;
    }
    const scale = Math.min(1, MAX_SAMPLE_SIDE / Math.max(videoWidth, videoHeight));
    this.canvas.width = Math.round(videoWidth * scale);
    this.canvas.height = Math.round(videoHeight * scale);
    this.context.drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }
}
