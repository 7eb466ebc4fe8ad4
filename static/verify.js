// verify.js: moved out of templates/ballots/verify.html so the Content-Security-Policy allows no inline script.
(function () {
  // Chrome on Android has BarcodeDetector; elsewhere the photo input (server-side zxing-cpp) is the fallback.
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  var start = document.getElementById('start-camera');
  start.hidden = false;
  start.addEventListener('click', function () {
    var detector = new BarcodeDetector({formats: ['qr_code']});
    var video = document.getElementById('camera');
    navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}}).then(function (stream) {
      document.getElementById('camera-box').hidden = false;
      video.srcObject = stream; video.play();
      function scan() {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById('code').value = codes[0].rawValue;
            document.getElementById('verify-form').submit();
          } else { requestAnimationFrame(scan); }
        }).catch(function () { requestAnimationFrame(scan); });
      }
      scan();
    });
  });
})();
